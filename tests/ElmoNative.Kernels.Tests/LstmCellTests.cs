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

    /// <summary>
    /// The clip (cell clip, projection clip) on every variant gives what MathF.Min(MathF.Max(x, -limit), limit) gives, bit
    /// for bit, on NaN, signed zeros, infinities and values either side of the limit, for limits 0, 3 and infinity: the
    /// vector kernels use the hardware's min and max, whose NaN and zero rules differ from IEEE's in general.
    /// </summary>
    [Fact]
    public void ClipKeepsNaNAndSignedZerosOnEveryVariant()
    {
        float[] specials = [float.NaN, -0f, 0f, 1f, -1f, 2.5f, -2.5f, 3f, -3f, 7f, -7f, float.PositiveInfinity, float.NegativeInfinity, 1e-40f, -1e-40f];
        foreach (float limit in new[] { 0f, 3f, float.PositiveInfinity })
        {
            // Every special value in every lane position of a 32-lane vector and in a scalar tail.
            var values = Enumerable.Range(0, 35 * specials.Length).Select(i => specials[(i * 7 + i / specials.Length) % specials.Length]).ToArray();
            var expected = values.Select(v => MathF.Min(MathF.Max(v, -limit), limit)).ToArray();
            foreach (SimdVariant variant in TestData.Variants)
            {
                var actual = (float[])values.Clone();
                KernelSet.For(variant).Clip(actual, limit);
                for (int i = 0; i < values.Length; i++)
                    Assert.True(BitConverter.SingleToInt32Bits(expected[i]) == BitConverter.SingleToInt32Bits(actual[i]),
                        $"{variant} limit={limit} x={values[i]}: {actual[i]} instead of {expected[i]}");
            }
        }
    }

    /// <summary>A NaN gate pre-activation gives a NaN cell and output through the cell clip, on every variant.</summary>
    [Fact]
    public void NaNGatesStayNaNThroughTheCellClip()
    {
        const int hidden = 37;
        foreach (SimdVariant variant in TestData.Variants)
        {
            var gates = new float[4 * hidden];
            gates[hidden + 3] = float.NaN; // j of unit 3
            gates[hidden + 20] = float.NaN; // j of unit 20 (inside a vector on every variant)
            var cell = new float[hidden];
            var output = new float[hidden];
            LstmCell.Step(KernelSet.For(variant), gates, cell, output, 1, hidden, 1f, 3f);
            Assert.True(float.IsNaN(cell[3]) && float.IsNaN(cell[20]) && float.IsNaN(output[3]) && float.IsNaN(output[20]), variant.ToString());
            Assert.False(float.IsNaN(cell[4]) || float.IsNaN(output[4]), variant.ToString());
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
