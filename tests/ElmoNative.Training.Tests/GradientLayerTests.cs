using ElmoNative.Checkpoints;
using ElmoNative.Layers;

namespace ElmoNative.Training.Tests;

/// <summary>
/// Finite-difference checks of each layer on its own: loss = sum(output * R) for a fixed random R, checked w.r.t. the
/// layer's parameters and its input (see <see cref="FiniteDifference"/> for step and tolerance).
/// </summary>
public class GradientLayerTests
{
    private static void Randomize(Span<float> x, Random random, double scale = 1)
    {
        foreach (ref float v in x) v = (float)((random.NextDouble() - 0.5) * 2 * scale);
    }

    private static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += (double)a[i] * b[i];
        return s;
    }

    [Theory]
    [InlineData(CharCnnActivation.Relu)]
    [InlineData(CharCnnActivation.Tanh)]
    public void CharCnn(CharCnnActivation activation)
    {
        var options = TrainingTestSupport.TinyModel(activation: activation);
        var layout = new ParameterLayout(options, 5);
        var p = new ParameterSet(layout);
        var g = new ParameterSet(layout);
        var random = new Random(1);
        Randomize(p.Data, random);
        var layer = new CharCnn(options, LayerWeights.Views(p, g));
        const int N = 4;
        int w = options.MaxCharactersPerToken, f = options.FilterCount;
        var ids = Enumerable.Range(0, N * w).Select(_ => 1 + random.Next(261)).ToArray();
        ids.AsSpan(3 * w, w).Clear(); // an all-zero padding token
        var cache = new CharCnnSaved(N, w, options.CharEmbeddingDim, f);
        var y = new float[N * f];
        var r = new float[N * f];
        Randomize(r, random);
        (double, ulong) Loss()
        {
            layer.Forward(ids, N, cache, y);
            ulong sig = 17;
            foreach (int a in cache.ArgMax) sig = sig * 31 + (ulong)a;
            foreach (float v in y) sig = sig * 31 + (v > 0 ? 1UL : 0UL);
            return (Dot(y, r), sig);
        }
        Loss();
        r.CopyTo(y, 0);
        layer.Backward(ids, N, cache, y);
        var failures = new List<string>();
        foreach (var name in new[] { CheckpointLayout.CharEmbedding, CheckpointLayout.ConvWeight(0), CheckpointLayout.ConvBias(0), CheckpointLayout.ConvWeight(2), CheckpointLayout.ConvBias(2) })
            FiniteDifference.Check(name, p[name], g[name], Loss, random, 10, failures, step: 1e-3, absolute: 5e-4);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void Highway()
    {
        var options = TrainingTestSupport.TinyModel(highway: 1);
        var layout = new ParameterLayout(options, 5);
        var p = new ParameterSet(layout);
        var g = new ParameterSet(layout);
        var random = new Random(2);
        Randomize(p.Data, random);
        int f = options.FilterCount;
        const int N = 5;
        var layer = new Highway(0, f, LayerWeights.Views(p, g));
        var cache = new HighwaySaved(N, f);
        var x = new float[N * f];
        Randomize(x, random);
        var r = new float[N * f];
        Randomize(r, random);
        var h = new float[N * f];
        (double, ulong) Loss()
        {
            x.CopyTo(h, 0);
            layer.Forward(h, N, default, default, cache);
            ulong sig = 0;
            foreach (float t in cache.Transform) sig = sig * 31 + (t > 0 ? 1UL : 0UL);
            return (Dot(h, r), sig);
        }
        Loss();
        var dh = (float[])r.Clone();
        layer.Backward(dh, N, cache);
        var failures = new List<string>();
        foreach (var name in new[] { CheckpointLayout.HighwayCarryWeight(0), CheckpointLayout.HighwayCarryBias(0), CheckpointLayout.HighwayTransformWeight(0), CheckpointLayout.HighwayTransformBias(0) })
            FiniteDifference.Check(name, p[name], g[name], Loss, random, 10, failures, step: 3e-3);
        FiniteDifference.Check("input", x, dh, Loss, random, 10, failures, step: 3e-3);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Fact]
    public void DenseProjection()
    {
        var options = TrainingTestSupport.TinyModel();
        var layout = new ParameterLayout(options, 5);
        var p = new ParameterSet(layout);
        var g = new ParameterSet(layout);
        var random = new Random(3);
        Randomize(p.Data, random);
        int f = options.FilterCount, o = options.ProjectionDim;
        const int N = 3;
        var weights = LayerWeights.Views(p, g);
        var layer = new Dense(weights.Matrix(CheckpointLayout.ProjectionWeight), weights.Tensor(CheckpointLayout.ProjectionBias));
        var x = new float[N * f];
        Randomize(x, random);
        var r = new float[N * o];
        Randomize(r, random);
        var y = new float[N * o];
        (double, ulong) Loss()
        {
            layer.Forward(x, f, y, o, N);
            return (Dot(y, r), 0);
        }
        var dx = new float[N * f];
        layer.Backward(x, r, N, dx);
        var failures = new List<string>();
        FiniteDifference.Check(CheckpointLayout.ProjectionWeight, p[CheckpointLayout.ProjectionWeight], g[CheckpointLayout.ProjectionWeight], Loss, random, 10, failures);
        FiniteDifference.Check(CheckpointLayout.ProjectionBias, p[CheckpointLayout.ProjectionBias], g[CheckpointLayout.ProjectionBias], Loss, random, 4, failures);
        FiniteDifference.Check("input", x, dx, Loss, random, 10, failures);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    [Theory]
    [InlineData(true, null, null)]
    [InlineData(false, null, null)]
    [InlineData(true, 0.3f, 0.1f)]
    [InlineData(false, 0.3f, 0.2f)]
    public void LstmLayerThroughTime(bool projection, float? cellClip, float? projectionClip)
    {
        var options = TrainingTestSupport.TinyModel(lstmProjection: projection, cellClip: cellClip, projectionClip: projectionClip);
        var layout = new ParameterLayout(options, 5);
        var p = new ParameterSet(layout);
        var g = new ParameterSet(layout);
        var random = new Random(4);
        Randomize(p.Data, random, 0.7);
        const int T = 4, B = 2;
        int pd = options.ProjectionDim, h = options.LstmDim;
        var layer = new LstmWithProjection(options, 1, 0, LayerWeights.Views(p, g));
        var cache = new LstmSaved(T, B, pd, h, pd);
        var x = new float[T * B * pd];
        Randomize(x, random);
        var m0 = new float[B * pd];
        var c0 = new float[B * h];
        Randomize(m0, random, 0.2);
        Randomize(c0, random, 0.5);
        var r = new float[T * B * pd];
        Randomize(r, random);
        float cc = cellClip ?? float.PositiveInfinity, pc = projectionClip ?? float.PositiveInfinity;
        (double, ulong) Loss()
        {
            x.CopyTo(cache.Input, 0);
            m0.CopyTo(cache.Outputs, 0);
            c0.CopyTo(cache.Cells, 0);
            layer.Forward(cache);
            ulong sig = 0;
            foreach (float v in cache.Cells.AsSpan(B * h)) sig = sig * 31 + (MathF.Abs(v) >= cc ? 1UL : 0UL);
            foreach (float v in cache.Outputs.AsSpan(B * pd)) sig = sig * 31 + (MathF.Abs(v) >= pc ? 1UL : 0UL);
            return (Dot(cache.Outputs.AsSpan(B * pd), r), sig);
        }
        Loss();
        var dy = (float[])r.Clone();
        var dx = new float[T * B * pd];
        layer.Backward(cache, dy, dx);
        var failures = new List<string>();
        var names = new List<string> { CheckpointLayout.LstmWeight(1, 0), CheckpointLayout.LstmBias(1, 0) };
        if (projection) names.Add(CheckpointLayout.LstmProjection(1, 0));
        foreach (var name in names) FiniteDifference.Check(name, p[name], g[name], Loss, random, 12, failures, step: 3e-3);
        FiniteDifference.Check("input", x, dx, Loss, random, 12, failures, step: 3e-3);
        Assert.True(failures.Count == 0, string.Join("\n", failures));

        if (cellClip is not null)
        {
            // Where a clip engaged, no gradient flows through that value: its gate gradients are exactly zero.
            int clipped = 0;
            for (int t = 0; t < T; t++)
                for (int u = 0; u < B * h; u++)
                {
                    if (MathF.Abs(cache.Cells[(t + 1) * B * h + u]) < cc) continue;
                    clipped++;
                    int b = u / h, k = u % h;
                    var dz = cache.GateGradient.AsSpan((t * B + b) * 4 * h, 4 * h);
                    Assert.Equal(0f, dz[k]);         // input gate
                    Assert.Equal(0f, dz[h + k]);     // candidate
                    Assert.Equal(0f, dz[2 * h + k]); // forget gate
                }
            Assert.True(clipped > 0, "the cell clip never engaged");
        }
    }

    [Fact]
    public void DropoutMasksAreInvertedAndReproducible()
    {
        var x = Enumerable.Repeat(1f, 100000).ToArray();
        var mask = new float[x.Length];
        var y = new float[x.Length];
        Dropout.Forward(42, 0.9f, x, mask, y);
        Assert.All(mask, m => Assert.True(m == 0f || Math.Abs(m - 1f / 0.9f) < 1e-6));
        double kept = mask.Count(m => m != 0f) / (double)mask.Length;
        Assert.InRange(kept, 0.89, 0.91);
        var again = new float[x.Length];
        Dropout.Forward(42, 0.9f, x, again, y);
        Assert.Equal(mask, again);
        var d = Enumerable.Repeat(2f, x.Length).ToArray();
        Dropout.Backward(mask, d);
        for (int i = 0; i < d.Length; i++) Assert.Equal(2f * mask[i], d[i]);
    }
}
