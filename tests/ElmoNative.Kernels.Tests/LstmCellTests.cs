// The fused LSTM cell against the naive reference (absolute 1e-6 for the usual activation range),
// with odd hidden sizes, several rows, clipping on and off, and every variant agreeing bit for bit.
using ElmoNative.Kernels.Reference;
using FsCheck.Xunit;

namespace ElmoNative.Kernels.Tests;

public class LstmCellTests
{
    [Property(MaxTest = 60)]
    public void StepMatchesReference(byte rowsRaw, byte hiddenRaw, bool clip, bool wideGates, int seed)
    {
        int rows = 1 + rowsRaw % 5, hidden = 1 + hiddenRaw % 70;
        var random = new Random(seed);
        float range = wideGates ? 12f : 3f;
        float[] gates = TestData.Uniform(random, rows * 4 * hidden, -range, range);
        float[] cell0 = TestData.Uniform(random, rows * hidden, -4f, 4f);
        float cellClip = clip ? 3f : float.PositiveInfinity;
        float[] cellExpected = (float[])cell0.Clone(), outExpected = new float[rows * hidden];
        NaiveKernels.LstmStep(gates, cellExpected, outExpected, rows, hidden, 1f, cellClip);
        float[]? firstCell = null, firstOut = null;
        foreach (SimdVariant variant in TestData.Variants)
        {
            float[] cell = (float[])cell0.Clone(), output = new float[rows * hidden];
            LstmCell.Step(KernelSet.For(variant), gates, cell, output, rows, hidden, 1f, cellClip);
            TestData.AssertClose(cellExpected, cell, 1e-6, 1e-6, $"cell {variant}");
            TestData.AssertClose(outExpected, output, 1e-6, 0, $"output {variant}");
            if (firstCell is null)
            {
                firstCell = cell;
                firstOut = output;
            }
            else
            {
                TestData.AssertBitIdentical(firstCell, cell, $"cell {variant}");
                TestData.AssertBitIdentical(firstOut!, output, $"output {variant}");
            }
        }
    }

    [Fact]
    public void ExtremeGatesStayFinite()
    {
        int hidden = 20;
        float[] gates = new float[4 * hidden];
        for (int i = 0; i < gates.Length; i++) gates[i] = i % 2 == 0 ? 1e4f : -1e4f;
        float[] cell = Enumerable.Repeat(50f, hidden).ToArray(), output = new float[hidden];
        LstmCell.Step(gates, cell, output, 1, hidden, 1f, float.PositiveInfinity);
        Assert.All(cell, v => Assert.True(float.IsFinite(v)));
        Assert.All(output, v => Assert.True(float.IsFinite(v) && Math.Abs(v) <= 1f));
        LstmCell.Step(gates, cell, output, 1, hidden, 1f, 3f);
        Assert.All(cell, v => Assert.True(Math.Abs(v) <= 3f));
    }

    [Fact]
    public void ShortBuffersAreRejected()
    {
        Assert.Throws<ArgumentException>(() => LstmCell.Step(new float[7], new float[2], new float[2], 1, 2, 0f, 1f));
        Assert.Throws<ArgumentOutOfRangeException>(() => LstmCell.Step(new float[8], new float[2], new float[2], 1, 2, 0f, -1f));
    }
}
