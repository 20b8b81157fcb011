// The training LSTM cell (forward that keeps what backward needs, and backward) on every SIMD variant against its
// naive twin in NaiveKernels, over odd hidden sizes (all remainders of the 8- and 16-lane loops) and several rows,
// with clipping on and off; every variant must agree bit for bit, and the forward pass must give the same cell and
// output bits as the inference step LstmCell.Step.
using ElmoNative.Kernels.Reference;
using FsCheck.Xunit;

namespace ElmoNative.Kernels.Tests;

public class LstmCellTrainingTests
{
    [Property(MaxTest = 60)]
    public void ForwardAndBackwardMatchNaive(byte rowsRaw, byte hiddenRaw, bool clip, int seed)
    {
        int rows = 1 + rowsRaw % 4, hidden = hiddenRaw % 71;
        var random = new Random(seed);
        float cellClip = clip ? 1.5f : float.PositiveInfinity;
        float[] z = TestData.Uniform(random, rows * 4 * hidden, -3f, 3f), cellPrevious = TestData.Uniform(random, rows * hidden, -2f, 2f);
        float[] dh = TestData.Uniform(random, rows * hidden, -1f, 1f), dcIn = TestData.Uniform(random, rows * hidden, -1f, 1f);

        float[] gatesExpected = (float[])z.Clone(), cellExpected = new float[rows * hidden], tanhExpected = new float[rows * hidden], hExpected = new float[rows * hidden];
        NaiveKernels.LstmForward(gatesExpected, cellPrevious, cellExpected, tanhExpected, hExpected, rows, hidden, 1f, cellClip);

        float[][]? first = null;
        foreach (SimdVariant variant in TestData.Variants)
        {
            var kernels = KernelSet.For(variant);
            float[] gates = (float[])z.Clone(), cell = new float[rows * hidden], tanhCell = new float[rows * hidden], h = new float[rows * hidden];
            LstmCellTraining.Forward(kernels, gates, cellPrevious, cell, tanhCell, h, rows, hidden, 1f, cellClip);
            TestData.AssertClose(gatesExpected, gates, 1e-6, 1e-6, $"gates {variant}");
            TestData.AssertClose(cellExpected, cell, 1e-6, 1e-6, $"cell {variant}");
            TestData.AssertClose(tanhExpected, tanhCell, 1e-6, 1e-6, $"tanh(cell) {variant}");
            TestData.AssertClose(hExpected, h, 1e-6, 1e-6, $"output {variant}");

            // The inference step on the same pre-activations gives the same bits.
            float[] stepCell = (float[])cellPrevious.Clone(), stepOutput = new float[rows * hidden];
            LstmCell.Step(kernels, z, stepCell, stepOutput, rows, hidden, 1f, cellClip);
            TestData.AssertBitIdentical(stepCell, cell, $"cell vs LstmCell.Step {variant}");
            TestData.AssertBitIdentical(stepOutput, h, $"output vs LstmCell.Step {variant}");

            // Backward from the kernel's own forward results, against the naive backward from the same inputs.
            float[] dcExpected = (float[])dcIn.Clone(), dzExpected = new float[rows * 4 * hidden];
            NaiveKernels.LstmBackward(gates, cellPrevious, cell, tanhCell, dh, dcExpected, dzExpected, rows, hidden, cellClip);
            float[] dc = (float[])dcIn.Clone(), dz = new float[rows * 4 * hidden];
            LstmCellTraining.Backward(kernels, gates, cellPrevious, cell, tanhCell, dh, dc, dz, rows, hidden, cellClip);
            TestData.AssertClose(dzExpected, dz, 1e-6, 1e-5, $"gate gradient {variant}");
            TestData.AssertClose(dcExpected, dc, 1e-6, 1e-5, $"cell gradient {variant}");

            float[][] results = [gates, cell, tanhCell, h, dz, dc];
            if (first is null) first = results;
            else
                for (int i = 0; i < results.Length; i++) TestData.AssertBitIdentical(first[i], results[i], $"buffer {i} {variant}");
        }
    }

    [Fact]
    public void ClippedCellsPassNoCellGradient()
    {
        // Every cell saturates at the clip: dc and the gradients of i, j, f are zero, o's gradient is not.
        int hidden = 21;
        float[] z = Enumerable.Repeat(6f, 4 * hidden).ToArray(), cellPrevious = Enumerable.Repeat(5f, hidden).ToArray();
        foreach (SimdVariant variant in TestData.Variants)
        {
            var kernels = KernelSet.For(variant);
            float[] gates = (float[])z.Clone(), cell = new float[hidden], tanhCell = new float[hidden], h = new float[hidden];
            LstmCellTraining.Forward(kernels, gates, cellPrevious, cell, tanhCell, h, 1, hidden, 0f, 1f);
            Assert.All(cell, v => Assert.Equal(1f, v));
            float[] dc = Enumerable.Repeat(1f, hidden).ToArray(), dz = new float[4 * hidden];
            LstmCellTraining.Backward(kernels, gates, cellPrevious, cell, tanhCell, Enumerable.Repeat(1f, hidden).ToArray(), dc, dz, 1, hidden, 1f);
            Assert.All(dc, v => Assert.Equal(0f, v));
            Assert.All(dz[..(3 * hidden)], v => Assert.Equal(0f, v));
            Assert.All(dz[(3 * hidden)..], v => Assert.True(v > 0f));
        }
    }

    [Fact]
    public void ShortBuffersAreRejected()
    {
        Assert.Throws<ArgumentException>(() => LstmCellTraining.Forward(new float[7], new float[2], new float[2], new float[2], new float[2], 1, 2, 0f, 1f));
        Assert.Throws<ArgumentException>(() => LstmCellTraining.Backward(new float[8], new float[2], new float[2], new float[2], new float[2], new float[1], new float[8], 1, 2, 1f));
    }
}
