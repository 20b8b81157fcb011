using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests;

/// <summary>
/// Spec section 6: ELMo = gamma * sum_k s_k * h_k, with s = softmax(w) for learned mixes, and optional layer
/// normalization of each h_k over its non-padded elements. Compared with a direct double computation.
/// Tolerance 1e-5 relative-ish: the library sums L + 1 float products (and float moments in double), the values are O(1).
/// </summary>
public class ScalarMixTests
{
    private const double Tolerance = 1e-5;

    private static readonly Lazy<ElmoBatchOutput> batch = new(() =>
    {
        using var model = ElmoModel.FromCheckpoint(SharedModels.Tiny);
        var random = new Random(31);
        // Lengths 7, 0, 19, 1, 3: lots of padding, one empty row.
        var sentences = new[] { 7, 0, 19, 1, 3 }.Select(n => (IReadOnlyList<string>)TestSentences.RandomSentence(random, n)).ToArray();
        return model.Embed(sentences);
    });

    /// <summary>The direct computation: y[b, t, :] = gamma * sum_k s_k * norm_k(h_k[b, t, :]) for real tokens, zero elsewhere.</summary>
    private static double[] Direct(ElmoBatchOutput x, double[] s, double gamma, bool layerNorm)
    {
        int d = x.Dim, t = x.MaxLength;
        var y = new double[x.Count * t * d];
        for (int k = 0; k < x.LayerCount; k++)
        {
            double mean = 0, std = 1;
            if (layerNorm)
            {
                // Mean and variance over all real tokens of the batch and all 2P features; padding excluded.
                double sum = 0, count = 0;
                for (int b = 0; b < x.Count; b++)
                    for (int i = 0; i < x.Lengths[b] * d; i++)
                    {
                        sum += x.Layer(b, k)[i];
                        count++;
                    }
                mean = sum / count;
                double squares = 0;
                for (int b = 0; b < x.Count; b++)
                    for (int i = 0; i < x.Lengths[b] * d; i++) squares += Math.Pow(x.Layer(b, k)[i] - mean, 2);
                std = Math.Sqrt(squares / count + 1e-12);
            }
            for (int b = 0; b < x.Count; b++)
                for (int i = 0; i < x.Lengths[b] * d; i++)
                    y[b * t * d + i] += gamma * s[k] * (x.Layer(b, k)[i] - mean) / std;
        }
        return y;
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        double error = 0;
        for (int i = 0; i < expected.Length; i++) error = Math.Max(error, Compare.Relative(actual[i], expected[i]));
        Assert.True(error <= Tolerance, $"max error {error:E2}");
    }

    private static double[] Softmax(double[] w)
    {
        double max = w.Max();
        var e = w.Select(v => Math.Exp(v - max)).ToArray();
        return e.Select(v => v / e.Sum()).ToArray();
    }

    [Fact]
    public void TopIsTheLastLayer()
    {
        var x = batch.Value;
        var mix = ScalarMix.Top(x.LayerCount);
        Assert.Equal([0f, 0f, 1f], mix.Weights);
        var y = mix.Mix(x);
        AssertClose(Direct(x, [0, 0, 1], 1, false), y);
        // Exactly the top layer, real tokens only.
        for (int b = 0; b < x.Count; b++)
            Assert.True(Compare.BitIdentical(x.Layer(b, x.LayerCount - 1), y.AsSpan(b * x.MaxLength * x.Dim, x.Lengths[b] * x.Dim)));
    }

    [Fact]
    public void AverageHasEqualWeights()
    {
        var x = batch.Value;
        var mix = ScalarMix.Average(x.LayerCount);
        Assert.Equal(1f, mix.Gamma);
        AssertClose(Direct(x, [1.0 / 3, 1.0 / 3, 1.0 / 3], 1, false), mix.Mix(x));
    }

    [Fact]
    public void FixedWeightsAreUsedAsGiven()
    {
        var x = batch.Value;
        var mix = ScalarMix.FromWeights([0.2f, 0.5f, 0.3f], gamma: 1.7f);
        AssertClose(Direct(x, [0.2f, 0.5f, 0.3f], 1.7f, false), mix.Mix(x));
    }

    [Fact]
    public void LearnedParametersGoThroughSoftmax()
    {
        var x = batch.Value;
        double[] w = [0.1f, -1.3f, 2.0f];
        var mix = ScalarMix.FromParameters([0.1f, -1.3f, 2.0f], gamma: 0.5f);
        var s = Softmax(w);
        for (int k = 0; k < 3; k++) Assert.Equal(s[k], mix.Weights[k], 6);
        AssertClose(Direct(x, s, 0.5f, false), mix.Mix(x));
        // AllenNLP's initial state, w = 0 and gamma = 1, is the average.
        AssertClose(Direct(x, [1.0 / 3, 1.0 / 3, 1.0 / 3], 1, false), ScalarMix.FromParameters([0f, 0f, 0f]).Mix(x));
        // Large parameters do not overflow.
        var big = ScalarMix.FromParameters([1000f, 0f, 999f]);
        Assert.All(big.Weights, v => Assert.True(float.IsFinite(v)));
        Assert.Equal(1 / (1 + Math.Exp(-1)), big.Weights[0], 6);
    }

    [Fact]
    public void LayerNormUsesOnlyRealTokens()
    {
        var x = batch.Value;
        double[] w = [0.4f, -0.2f, 0.9f];
        var mix = ScalarMix.FromParameters([0.4f, -0.2f, 0.9f], gamma: 1.3f, layerNorm: true);
        var y = mix.Mix(x);
        AssertClose(Direct(x, Softmax(w), 1.3f, true), y);

        // Each normalized layer has mean 0 and variance 1 over the real elements: check on a top-only normalized mix.
        var top = ScalarMix.FromWeights([0f, 0f, 1f], layerNorm: true).Mix(x);
        double sum = 0, squares = 0, count = 0;
        for (int b = 0; b < x.Count; b++)
            for (int i = 0; i < x.Lengths[b] * x.Dim; i++)
            {
                double v = top[b * x.MaxLength * x.Dim + i];
                sum += v;
                squares += v * v;
                count++;
            }
        Assert.Equal(0, sum / count, 5);
        Assert.Equal(1, squares / count, 4);
    }

    [Fact]
    public void PaddingStaysZeroAndDoesNotChangeTheStatistics()
    {
        var x = batch.Value;
        var mix = ScalarMix.FromParameters([0.3f, 0.1f, -0.5f], layerNorm: true);
        var y = mix.Mix(x);
        int d = x.Dim, t = x.MaxLength;
        for (int b = 0; b < x.Count; b++)
            for (int i = x.Lengths[b] * d; i < t * d; i++) Assert.Equal(0f, y[b * t * d + i]);

        // The same sentences plus an empty one: the batch gains T x D padding values and no real ones. Had padding
        // taken part in the mean and variance, the normalized values of the real tokens would move.
        using var model = ElmoModel.FromCheckpoint(SharedModels.Tiny);
        var random = new Random(31);
        var sentences = new[] { 7, 0, 19, 1, 3 }.Select(n => (IReadOnlyList<string>)TestSentences.RandomSentence(random, n)).ToList();
        sentences.Add([]);
        var padded = model.Embed(sentences);
        var yPadded = mix.Mix(padded);
        for (int b = 0; b < x.Count; b++)
            Assert.True(Compare.BitIdentical(y.AsSpan(b * t * d, x.Lengths[b] * d), yPadded.AsSpan(b * t * d, x.Lengths[b] * d)), $"row {b}");
    }

    /// <summary>
    /// The backward pass against central differences of the double-precision direct mix: loss = sum(y * R) for a fixed
    /// random R (R is nonzero past the sentences' ends too, where the mix must not depend on anything).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BackwardMatchesFiniteDifferencesOfTheDirectMix(bool layerNorm)
    {
        var x = batch.Value;
        var random = new Random(5);
        var r = Enumerable.Range(0, x.Count * x.MaxLength * x.Dim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        double[] w = [0.4, -0.7, 1.1];
        const double Gamma = 1.3, Step = 1e-5;
        double Loss(double[] parameters, double gamma) =>
            Direct(x, Softmax(parameters), gamma, layerNorm).Zip(r, (y, rr) => y * rr).Sum();

        var mix = ScalarMix.FromParameters(w.Select(v => (float)v).ToArray(), (float)Gamma, layerNorm);
        var gradient = mix.Backward(x, r);
        double Check(double analytic, double numeric) => Math.Abs(analytic - numeric) / Math.Max(1, Math.Abs(numeric));

        double dGamma = (Loss(w, Gamma + Step) - Loss(w, Gamma - Step)) / (2 * Step);
        Assert.True(Check(gradient.Gamma, dGamma) <= 1e-4, $"dgamma {gradient.Gamma} vs {dGamma}");
        for (int j = 0; j < w.Length; j++)
        {
            double[] plus = (double[])w.Clone(), minus = (double[])w.Clone();
            plus[j] += Step;
            minus[j] -= Step;
            double dw = (Loss(plus, Gamma) - Loss(minus, Gamma)) / (2 * Step);
            Assert.True(Check(gradient.Parameters[j], dw) <= 1e-4, $"dw_{j} {gradient.Parameters[j]} vs {dw}");
            // ds_j exactly: the loss is linear in s, so dL/ds_j is the loss with s = e_j.
            var unit = new double[w.Length];
            unit[j] = 1;
            double ds = Direct(x, unit, Gamma, layerNorm).Zip(r, (y, rr) => y * rr).Sum();
            Assert.True(Check(gradient.Weights[j], ds) <= 1e-4, $"ds_{j} {gradient.Weights[j]} vs {ds}");
        }
    }

    [Fact]
    public void WrongLayerCountIsRejected()
    {
        var x = batch.Value;
        var e = Assert.Throws<ArgumentException>(() => ScalarMix.Average(2).Mix(x));
        Assert.Contains("3 layers", e.Message);
    }
}
