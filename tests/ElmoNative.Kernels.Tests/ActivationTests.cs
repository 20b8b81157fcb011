// Element-wise activations and reductions against the naive reference, on odd lengths (vector tails)
// and every variant; softmax / log-sum-exp stay finite for huge inputs.
using ElmoNative.Kernels.Reference;
using FsCheck.Xunit;

namespace ElmoNative.Kernels.Tests;

public class ActivationTests
{
    [Property(MaxTest = 60)]
    public void ElementwiseFunctionsMatchReference(byte lengthRaw, int seed)
    {
        int n = lengthRaw % 90;
        var random = new Random(seed);
        float[] x = TestData.Uniform(random, n, -6f, 6f);
        float[] expected = new float[n], actual = new float[n];
        foreach (SimdVariant variant in TestData.Variants)
        {
            NaiveKernels.Sigmoid(x, expected);
            Activations.Sigmoid(KernelSet.For(variant), x, actual);
            TestData.AssertClose(expected, actual, 1e-7, 4e-7, $"sigmoid {variant}");
            NaiveKernels.Tanh(x, expected);
            Activations.Tanh(KernelSet.For(variant), x, actual);
            TestData.AssertClose(expected, actual, 1e-7, 4e-7, $"tanh {variant}");
            NaiveKernels.Exp(x, expected);
            Activations.Exp(KernelSet.For(variant), x, actual);
            TestData.AssertClose(expected, actual, 0, 3e-7, $"exp {variant}");

            float[] g = TestData.Uniform(random, n, 0f, 1f), t = TestData.Uniform(random, n, -2f, 2f), h = TestData.Uniform(random, n, -2f, 2f);
            float[] hExpected = (float[])h.Clone();
            NaiveKernels.GatedMix(g, t, hExpected);
            Activations.GatedMix(KernelSet.For(variant), g, t, h);
            TestData.AssertClose(hExpected, h, 1e-6, 1e-6, $"gated mix {variant}");

            float[] logits = TestData.Uniform(random, n, -30f, 30f);
            NaiveKernels.Softmax(logits, expected);
            Activations.Softmax(KernelSet.For(variant), logits, actual);
            TestData.AssertClose(expected, actual, 1e-8, 2e-6, $"softmax {variant}");
            float lse = Activations.LogSumExp(KernelSet.For(variant), logits), lseExpected = NaiveKernels.LogSumExp(logits);
            Assert.True(n == 0 ? float.IsNegativeInfinity(lse) : Math.Abs(lse - lseExpected) <= 1e-5 * Math.Max(1, Math.Abs(lseExpected)), $"logsumexp {variant}: {lse} vs {lseExpected}");
        }

        NaiveKernels.Relu(x, expected);
        Activations.Relu(x, actual);
        Assert.Equal(expected, actual);
        float[] clipped = (float[])x.Clone(), clippedExpected = (float[])x.Clone();
        NaiveKernels.Clip(clippedExpected, 2.5f);
        Activations.Clip(clipped, 2.5f);
        Assert.Equal(clippedExpected, clipped);
        Assert.Equal(NaiveKernels.Sum(x), Activations.Sum(x), 1e-4f);
    }

    [Fact]
    public void ActivationsWorkInPlace()
    {
        float[] x = TestData.Uniform(new Random(1), 37, -3f, 3f);
        float[] expected = new float[x.Length];
        NaiveKernels.Tanh(x, expected);
        Activations.Tanh(x, x);
        TestData.AssertClose(expected, x, 1e-7, 4e-7, "tanh in place");
        float[] logits = [1f, 2f, 3f];
        Activations.Softmax(logits, logits);
        Assert.Equal(1f, logits.Sum(), 1e-6f);
    }

    [Fact]
    public void SoftmaxAndLogSumExpDoNotOverflow()
    {
        float[] logits = [1000f, 1000f, -1000f, 999f, float.NegativeInfinity];
        foreach (SimdVariant variant in TestData.Variants)
        {
            float[] y = new float[logits.Length];
            Activations.Softmax(KernelSet.For(variant), logits, y);
            Assert.All(y, v => Assert.True(float.IsFinite(v)));
            Assert.Equal(1f, y.Sum(), 1e-6f);
            Assert.Equal(0f, y[2]);
            Assert.Equal(0f, y[4]);
            Assert.Equal(1000f + MathF.Log(2f + MathF.Exp(-1f)), Activations.LogSumExp(KernelSet.For(variant), logits), 1e-3f);
        }
        Assert.Equal(float.NegativeInfinity, Activations.LogSumExp([]));
        Assert.Equal(0f, Activations.Sum([]));
    }

    [Fact]
    public void AddRowVectorAddsToEveryRowAndSkipsPadding()
    {
        float[] bias = [1f, 2f, 3f];
        float[] y = [0f, 0f, 0f, 9f, 10f, 10f, 10f];
        float[] expected = (float[])y.Clone();
        NaiveKernels.AddRowVector(bias, expected, 2, 4);
        Activations.AddRowVector(bias, y, 2, 4);
        Assert.Equal(expected, y);
        Assert.Equal(9f, y[3]);
    }
}
