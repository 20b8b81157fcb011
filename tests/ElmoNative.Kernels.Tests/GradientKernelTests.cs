// The element-wise training kernels (activation backward passes, gated-mix backward, Adagrad, column sums, the
// argmax of max over time, and the element-wise arithmetic they share with inference) on every SIMD variant against their naive twins in NaiveKernels, at every length 0..70,
// so every remainder of the 8- and 16-lane loops is met; element-wise kernels must also agree bit for bit across
// the variants (each element goes through the same operations whichever loop reaches it).
using ElmoNative.Kernels.Reference;

namespace ElmoNative.Kernels.Tests;

public class GradientKernelTests
{
    private const int MaxLength = 70;

    private delegate void Backward(KernelSet kernels, float[] y, float[] dy);

    private static void CheckBackward(Backward fast, Action<float[], float[]> naive, float low, float high, double tolerance, string name)
    {
        var random = new Random(name.Length);
        for (int n = 0; n <= MaxLength; n++)
        {
            float[] y = TestData.Uniform(random, n, low, high), dy = TestData.Uniform(random, n, -2f, 2f);
            float[] expected = (float[])dy.Clone();
            naive(y, expected);
            float[]? first = null;
            foreach (SimdVariant variant in TestData.Variants)
            {
                float[] actual = (float[])dy.Clone();
                fast(KernelSet.For(variant), y, actual);
                TestData.AssertClose(expected, actual, tolerance, tolerance, $"{name} {variant} n={n}");
                if (first is null) first = actual;
                else TestData.AssertBitIdentical(first, actual, $"{name} {variant} n={n}");
            }
        }
    }

    [Fact]
    public void ReluBackwardMatchesNaive()
        => CheckBackward((k, y, dy) => Gradients.ReluBackward(k, y, dy), (y, dy) => NaiveKernels.ReluBackward(y, dy), -1f, 1f, 0, "relu");

    [Fact]
    public void TanhBackwardMatchesNaive()
        => CheckBackward((k, y, dy) => Gradients.TanhBackward(k, y, dy), (y, dy) => NaiveKernels.TanhBackward(y, dy), -1f, 1f, 1e-6, "tanh");

    [Fact]
    public void SigmoidBackwardMatchesNaive()
        => CheckBackward((k, y, dy) => Gradients.SigmoidBackward(k, y, dy), (y, dy) => NaiveKernels.SigmoidBackward(y, dy), 0f, 1f, 1e-6, "sigmoid");

    [Fact]
    public void ClipBackwardMatchesNaive()
    {
        CheckBackward((k, y, dy) => Gradients.ClipBackward(k, y, 0.5f, dy), (y, dy) => NaiveKernels.ClipBackward(y, 0.5f, dy), -1f, 1f, 0, "clip");
        // A value exactly on the limit counts as clipped; an infinite limit clips nothing.
        foreach (SimdVariant variant in TestData.Variants)
        {
            float[] y = Enumerable.Repeat(0.5f, 19).ToArray(), dy = Enumerable.Repeat(1f, 19).ToArray();
            Gradients.ClipBackward(KernelSet.For(variant), y, 0.5f, dy);
            Assert.All(dy, v => Assert.Equal(0f, v));
            dy = Enumerable.Repeat(1f, 19).ToArray();
            Gradients.ClipBackward(KernelSet.For(variant), y, float.PositiveInfinity, dy);
            Assert.All(dy, v => Assert.Equal(1f, v));
        }
    }

    [Fact]
    public void GatedMixBackwardMatchesNaiveAndMayWriteDhOverDy()
    {
        var random = new Random(3);
        for (int n = 0; n <= MaxLength; n++)
        {
            float[] g = TestData.Uniform(random, n, 0f, 1f), t = TestData.Uniform(random, n, -1f, 1f), h = TestData.Uniform(random, n, -1f, 1f);
            float[] dy = TestData.Uniform(random, n, -2f, 2f);
            float[] dgExpected = new float[n], dtExpected = new float[n], dhExpected = new float[n];
            NaiveKernels.GatedMixBackward(g, t, h, dy, dgExpected, dtExpected, dhExpected);
            foreach (SimdVariant variant in TestData.Variants)
            {
                float[] dg = new float[n], dt = new float[n], dh = (float[])dy.Clone();
                Gradients.GatedMixBackward(KernelSet.For(variant), g, t, h, dh, dg, dt, dh);
                TestData.AssertClose(dgExpected, dg, 1e-6, 1e-6, $"dg {variant} n={n}");
                TestData.AssertClose(dtExpected, dt, 1e-6, 1e-6, $"dt {variant} n={n}");
                TestData.AssertClose(dhExpected, dh, 1e-6, 1e-6, $"dh {variant} n={n}");
            }
        }
    }

    [Fact]
    public void AdagradMatchesNaiveOnEveryVariant()
    {
        var random = new Random(4);
        for (int n = 0; n <= MaxLength; n++)
        {
            float[] w = TestData.Uniform(random, n, -1f, 1f), a = TestData.Uniform(random, n, 0.1f, 2f), g = TestData.Uniform(random, n, -1f, 1f);
            float[] wExpected = (float[])w.Clone(), aExpected = (float[])a.Clone();
            NaiveKernels.Adagrad(wExpected, aExpected, g, 0.2f);
            float[]? first = null;
            foreach (SimdVariant variant in TestData.Variants)
            {
                float[] wActual = (float[])w.Clone(), aActual = (float[])a.Clone();
                AdagradUpdate.Apply(KernelSet.For(variant), wActual, aActual, g, 0.2f);
                TestData.AssertClose(aExpected, aActual, 1e-6, 1e-6, $"accumulators {variant} n={n}");
                TestData.AssertClose(wExpected, wActual, 1e-6, 1e-6, $"parameters {variant} n={n}");
                if (first is null) first = wActual;
                else TestData.AssertBitIdentical(first, wActual, $"parameters {variant} n={n}");
            }
        }
    }

    [Fact]
    public void AdagradFollowsItsFormula()
    {
        // One hand-checked step: a = 1 + 3^2 = 10, w = 2 - 0.5 * 3 / sqrt(10). A wrong formula (no square, no root,
        // the old accumulator, a missing learning rate) gives another number.
        foreach (SimdVariant variant in TestData.Variants)
        {
            float[] w = [2f], a = [1f];
            AdagradUpdate.Apply(KernelSet.For(variant), w, a, [3f], 0.5f);
            Assert.Equal(10f, a[0]);
            Assert.Equal(2f - 0.5f * 3f / MathF.Sqrt(10f), w[0], 1e-6f);
        }
        Assert.Throws<ArgumentException>(() => AdagradUpdate.Apply(new float[3], new float[2], new float[3], 0.1f));
    }

    [Fact]
    public void ElementwiseArithmeticMatchesNaiveOnEveryVariant()
    {
        // relu, clip, y += x, y += alpha x, x *= alpha: each element alone, so every variant gives the naive result
        // (exactly, but for y += alpha x, which the naive twin rounds once) and the same bits.
        var random = new Random(7);
        for (int n = 0; n <= MaxLength; n++)
        {
            float[] x = TestData.Uniform(random, n, -3f, 3f), y = TestData.Uniform(random, n, -3f, 3f);
            float[] relu = new float[n], clip = (float[])x.Clone(), add = (float[])y.Clone(), madd = (float[])y.Clone(), scale = (float[])x.Clone();
            NaiveKernels.Relu(x, relu);
            NaiveKernels.Clip(clip, 1.5f);
            NaiveKernels.MultiplyAdd(x, 1f, add);
            NaiveKernels.MultiplyAdd(x, 0.3f, madd);
            NaiveKernels.Scale(scale, 0.3f);
            float[][]? first = null;
            foreach (SimdVariant variant in TestData.Variants)
            {
                var kernels = KernelSet.For(variant);
                float[] r = new float[n], c = (float[])x.Clone(), a = (float[])y.Clone(), m = (float[])y.Clone(), s = (float[])x.Clone();
                Activations.Relu(kernels, x, r);
                kernels.Clip(c, 1.5f);
                kernels.Add(x, a);
                kernels.MultiplyAdd(x, 0.3f, m);
                kernels.Scale(s, 0.3f);
                TestData.AssertBitIdentical(relu, r, $"relu {variant} n={n}");
                TestData.AssertBitIdentical(clip, c, $"clip {variant} n={n}");
                TestData.AssertBitIdentical(add, a, $"add {variant} n={n}");
                TestData.AssertClose(madd, m, 1e-6, 1e-6, $"multiply-add {variant} n={n}");
                TestData.AssertBitIdentical(scale, s, $"scale {variant} n={n}");
                float[][] results = [r, c, a, m, s];
                if (first is null) first = results;
                else
                    for (int i = 0; i < results.Length; i++) TestData.AssertBitIdentical(first[i], results[i], $"result {i} {variant} n={n}");
            }
        }
    }

    [Fact]
    public void ColumnSumsMatchNaive()
    {
        var random = new Random(5);
        for (int columns = 0; columns <= 37; columns++)
        {
            int rows = 1 + columns % 5, ld = columns + columns % 3;
            float[] x = TestData.Matrix(random, rows, columns, ld), sums = TestData.Uniform(random, columns, -1f, 1f);
            float[] expected = (float[])sums.Clone();
            NaiveKernels.AddColumnSums(x, rows, ld, expected);
            Gradients.AddColumnSums(x, rows, ld, sums);
            TestData.AssertClose(expected, sums, 1e-6, 1e-6, $"columns={columns}");
        }
    }

    [Fact]
    public void ArgMaxRowsFindsTheFirstMaximumOnEveryVariant()
    {
        // Small integers make ties common: the first row reaching the maximum must win in every lane and in the tail.
        var random = new Random(6);
        for (int filters = 1; filters <= 40; filters++)
        {
            int positions = 1 + filters % 7;
            float[] c = Enumerable.Range(0, positions * filters).Select(_ => (float)random.Next(-2, 3)).ToArray();
            float[] bias = TestData.Uniform(random, filters, -1f, 1f);
            float[] expected = new float[filters];
            int[] expectedAt = new int[filters];
            for (int f = 0; f < filters; f++)
            {
                int at = 0;
                for (int t = 1; t < positions; t++) if (c[t * filters + f] > c[at * filters + f]) at = t;
                expectedAt[f] = at;
                expected[f] = c[at * filters + f] + bias[f];
            }
            foreach (SimdVariant variant in TestData.Variants)
            {
                float[] best = new float[filters];
                int[] at = new int[filters];
                KernelSet.For(variant).ArgMaxRows(c, positions, filters, bias, best, at);
                Assert.Equal(expectedAt, at);
                TestData.AssertBitIdentical(expected, best, $"{variant} filters={filters}");
            }
        }
    }
}
