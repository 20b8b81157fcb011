// The training kernels added for speed, against naive loops, over odd sizes (FsCheck):
// RaggedMaxOverTime (forward maxima, first-argmax, backward gradients, against NaiveKernels) and SGEMM under any
// per-thread limit of the thread budget.
// Inputs are small integers, so every sum is exact in float32 and the kernel must match the naive loop exactly,
// including which of several tied windows is the argmax.
using ElmoNative.Kernels.Reference;
using FsCheck.Xunit;

namespace ElmoNative.Kernels.Tests;

public class TrainingKernelTests
{
    private static float[] SmallIntegers(Random random, int length) =>
        Enumerable.Range(0, length).Select(_ => (float)random.Next(-3, 4)).ToArray();

    /// <summary>Random ragged layout: each sequence stores at least windows - 1 + width positions, sometimes more.</summary>
    private static (int[] Starts, int[] Windows) Layout(Random random, int sequences, int width)
    {
        var starts = new int[sequences + 1];
        var windows = new int[sequences];
        for (int s = 0; s < sequences; s++)
        {
            windows[s] = 1 + random.Next(6);
            starts[s + 1] = starts[s] + windows[s] - 1 + width + random.Next(3);
        }
        return (starts, windows);
    }

    [Property(MaxTest = 60)]
    public void RaggedForwardAndBackwardMatchNaiveLoops(byte sequencesRaw, byte channelsRaw, byte widthRaw, byte filtersRaw, byte padRaw, int seed)
    {
        var random = new Random(seed);
        int sequences = 1 + sequencesRaw % 11, channels = 1 + channelsRaw % 5, width = 1 + widthRaw % 6, filters = 1 + filtersRaw % 37, ld = filters + padRaw % 3;
        var (starts, windows) = Layout(random, sequences, width);
        int total = starts[sequences], depth = width * channels;
        float[] x = SmallIntegers(random, total * channels), w = SmallIntegers(random, depth * filters), bias = SmallIntegers(random, filters);

        float[] expected = new float[sequences * ld], actual = new float[sequences * ld];
        int[] expectedAt = new int[sequences * ld], actualAt = new int[sequences * ld];
        NaiveKernels.RaggedMaxOverTime(x, channels, starts, windows, w, width, bias, expected, expectedAt, ld);
        RaggedMaxOverTime.Forward(x, channels, starts, windows, w, width, bias, actual, actualAt, ld);
        for (int s = 0; s < sequences; s++)
            for (int f = 0; f < filters; f++)
            {
                Assert.Equal(expected[s * ld + f], actual[s * ld + f]);
                Assert.Equal(expectedAt[s * ld + f], actualAt[s * ld + f]);
            }

        float[] dy = SmallIntegers(random, sequences * ld);
        float[] dw = SmallIntegers(random, depth * filters), db = SmallIntegers(random, filters), dx = SmallIntegers(random, total * channels);
        float[] dwExpected = (float[])dw.Clone(), dbExpected = (float[])db.Clone(), dxExpected = (float[])dx.Clone();
        NaiveKernels.RaggedMaxOverTimeBackward(x, channels, starts, w, width, expectedAt, dy, ld, dwExpected, dbExpected, dxExpected);
        RaggedMaxOverTime.Backward(x, channels, starts, w, width, actualAt, dy, ld, dw, db, dx);
        Assert.Equal(dwExpected, dw);
        Assert.Equal(dbExpected, db);
        Assert.Equal(dxExpected, dx);
    }

    [Fact]
    public void RaggedChunksManySequences()
    {
        // More positions than one scratch chunk holds: the chunking must not change any result.
        var random = new Random(5);
        int sequences = 3000, channels = 4, width = 3, filters = 200, ld = filters;
        var (starts, windows) = Layout(random, sequences, width);
        int total = starts[sequences], depth = width * channels;
        Assert.True((long)total * (filters + depth) > RaggedMaxOverTime.MaxScratchFloats);
        float[] x = SmallIntegers(random, total * channels), w = SmallIntegers(random, depth * filters), bias = SmallIntegers(random, filters);
        float[] expected = new float[sequences * ld], actual = new float[sequences * ld];
        int[] expectedAt = new int[sequences * ld], actualAt = new int[sequences * ld];
        NaiveKernels.RaggedMaxOverTime(x, channels, starts, windows, w, width, bias, expected, expectedAt, ld);
        RaggedMaxOverTime.Forward(x, channels, starts, windows, w, width, bias, actual, actualAt, ld);
        Assert.Equal(expected, actual);
        Assert.Equal(expectedAt, actualAt);
        float[] dy = SmallIntegers(random, sequences * ld), dx = new float[total * channels], dxExpected = new float[total * channels];
        float[] dw = new float[depth * filters], db = new float[filters];
        for (int s = 0; s < sequences; s++)
            for (int f = 0; f < filters; f++)
                for (int q = 0, start = (starts[s] + expectedAt[s * ld + f]) * channels; q < depth; q++)
                    dxExpected[start + q] += dy[s * ld + f] * w[q * filters + f];
        RaggedMaxOverTime.Backward(x, channels, starts, w, width, actualAt, dy, ld, dw, db, dx);
        Assert.Equal(dxExpected, dx);
    }

    [Fact]
    public void RaggedRejectsWindowsThatDoNotFit()
    {
        float[] x = new float[10], w = new float[8], bias = new float[2], y = new float[4];
        int[] at = new int[4];
        RaggedMaxOverTime.Forward(x, 2, [0, 3, 5], [2, 1], w, 2, bias, y, at, 2); // 3 positions hold 2 windows of width 2, 2 hold 1
        Assert.Throws<ArgumentException>(() => RaggedMaxOverTime.Forward(x, 2, [0, 3, 5], [2, 2], w, 2, bias, y, at, 2));
        Assert.Throws<ArgumentException>(() => RaggedMaxOverTime.Forward(x, 2, [0, 3, 5], [3, 1], w, 2, bias, y, at, 2));
    }

    [Property(MaxTest = 40)]
    public void SgemmUnderAThreadLimitMatchesNaive(byte mRaw, byte nRaw, byte kRaw, bool transA, bool transB, byte threadsRaw, int seed)
    {
        var random = new Random(seed);
        int m = 1 + mRaw % 70, n = 1 + nRaw % 70, k = 1 + kRaw % 70, threads = 1 + threadsRaw % 3;
        var ta = transA ? Transpose.Yes : Transpose.No;
        var tb = transB ? Transpose.Yes : Transpose.No;
        int lda = (transA ? m : k) + 1, ldb = (transB ? k : n) + 2, ldc = n + 1;
        float[] a = TestData.Matrix(random, transA ? k : m, transA ? m : k, lda);
        float[] b = TestData.Matrix(random, transB ? n : k, transB ? k : n, ldb);
        float[] c = TestData.Matrix(random, m, n, ldc);
        float[] actual = (float[])c.Clone();
        using (KernelSettings.LimitCurrentThread(threads))
        {
            Assert.Equal(Math.Min(threads, KernelSettings.MaxThreads), KernelSettings.ThreadsForCurrentThread);
            Sgemm.Multiply(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 1.5f, actual, ldc);
        }
        TestData.AssertGemmClose(ta, tb, m, n, k, 0.5f, a, lda, b, ldb, 1.5f, c, actual, ldc, $"threads {threads}");
        Assert.Throws<ArgumentOutOfRangeException>(() => KernelSettings.LimitCurrentThread(0));
    }
}
