// Products over column ranges of a prepacked B with A packed once (PackedRows), and B's columns reordered after
// packing (PackedMatrix.WithColumnOrder): the pieces of the fused LSTM step. Each must give, bit for bit, the numbers
// of the whole product in the corresponding places, on every variant; the strided LSTM cell must give the bits of the
// contiguous one; ParallelSpans runs every part once with the caller's spans.
using ElmoNative.Kernels.Gemm;
using FsCheck.Xunit;

namespace ElmoNative.Kernels.Tests;

public class ColumnBlockGemmTests
{
    [Property(MaxTest = 60)]
    public void Column_blocks_give_the_bits_of_the_whole_product(int seed, byte mSeed, ushort kSeed, byte nSeed, byte blockSeed, byte betaSeed)
    {
        var random = new Random(seed);
        int m = 1 + mSeed % 40, k = 1 + kSeed % 600, n = 1 + nSeed % 150;
        float beta = (betaSeed % 3) switch { 0 => 0f, 1 => 1f, _ => 0.5f };
        float[] a = TestData.Matrix(random, m, k, k + 3), b = TestData.Matrix(random, k, n, n), c0 = TestData.Matrix(random, m, n, n);
        foreach (SimdVariant variant in TestData.Variants)
        {
            using var packed = PackedMatrix.Pack(variant, Transpose.No, b, k, n, n);
            using var rows = new PackedRows();
            rows.Pack(KernelSet.For(variant), m, k, a, k + 3);
            float[] whole = (float[])c0.Clone();
            Sgemm.Multiply(1, null, m, a, k + 3, packed, beta, whole, n);
            int block = packed.PanelWidth * (1 + blockSeed % 3);
            for (int j0 = 0; j0 < n; j0 += block)
            {
                int width = Math.Min(block, n - j0);
                // The block in a buffer of its own (row stride = its width), as the LSTM step keeps it.
                float[] piece = new float[m * width];
                for (int i = 0; i < m; i++) Array.Copy(c0, i * n + j0, piece, i * width, width);
                Sgemm.Multiply(rows, packed, j0, width, beta, piece, width);
                for (int i = 0; i < m; i++)
                    TestData.AssertBitIdentical(whole.AsSpan(i * n + j0, width), piece.AsSpan(i * width, width),
                        $"{variant} m={m} k={k} n={n} beta={beta} block at {j0} row {i}");
            }
        }
    }

    [Property(MaxTest = 40)]
    public void Reordered_columns_give_the_bits_of_the_columns_they_take(int seed, byte mSeed, ushort kSeed, byte nSeed)
    {
        var random = new Random(seed);
        int m = 1 + mSeed % 12, k = 1 + kSeed % 400, n = 1 + nSeed % 120;
        float[] a = TestData.Matrix(random, m, k, k), b = TestData.Matrix(random, k, n, n);
        int[] order = Enumerable.Range(0, n).OrderBy(_ => random.Next()).ToArray();
        float[] reorderedB = new float[k * n];
        for (int r = 0; r < k; r++)
            for (int j = 0; j < n; j++) reorderedB[r * n + j] = b[r * n + order[j]];
        foreach (SimdVariant variant in TestData.Variants)
        {
            using var packed = PackedMatrix.Pack(variant, Transpose.No, b, k, n, n);
            using var reordered = packed.WithColumnOrder(order);
            using var direct = PackedMatrix.Pack(variant, Transpose.No, reorderedB, k, n, n);
            int length = (int)(direct.SizeInBytes / sizeof(float));
            TestData.AssertBitIdentical(direct.PanelValues(0, length), reordered.PanelValues(0, length), $"{variant} panels n={n}");
            float[] plain = new float[m * n], moved = new float[m * n];
            Sgemm.Multiply(1, null, m, a, k, packed, 0f, plain, n);
            Sgemm.Multiply(1, null, m, a, k, reordered, 0f, moved, n);
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                    Assert.Equal(BitConverter.SingleToInt32Bits(plain[i * n + order[j]]), BitConverter.SingleToInt32Bits(moved[i * n + j]));
        }
    }

    [Fact]
    public void Bad_column_ranges_and_orders_are_rejected()
    {
        float[] b = new float[8 * 40];
        using var packed = PackedMatrix.Pack(b, 8, 40, 40);
        using var rows = new PackedRows();
        rows.Pack(2, 8, new float[16], 8);
        var c = new float[2 * 40];
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(rows, packed, 1, 4, 0f, c, 40));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Multiply(rows, packed, 0, 41, 0f, c, 41));
        using var shallow = new PackedRows();
        shallow.Pack(2, 7, new float[14], 7);
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(shallow, packed, 0, 8, 0f, c, 40));
        Assert.Throws<ArgumentException>(() => packed.WithColumnOrder(Enumerable.Range(0, 39).ToArray()));
        Assert.Throws<ArgumentException>(() => packed.WithColumnOrder(Enumerable.Repeat(0, 40).ToArray()));
    }

    [Property(MaxTest = 40)]
    public void Strided_cell_steps_give_the_bits_of_contiguous_ones(int seed, byte rowsSeed, byte unitsSeed, byte blockSeed, bool clip)
    {
        var random = new Random(seed);
        int rows = 1 + rowsSeed % 6, hidden = 1 + unitsSeed % 90, block = 1 + blockSeed % 40;
        float cellClip = clip ? 2f : float.PositiveInfinity;
        float[] gates = TestData.Uniform(random, rows * 4 * hidden, -6f, 6f), cell0 = TestData.Uniform(random, rows * hidden, -3f, 3f);
        foreach (SimdVariant variant in TestData.Variants)
        {
            var kernels = KernelSet.For(variant);
            float[] cell = (float[])cell0.Clone(), output = new float[rows * hidden];
            LstmCell.Step(kernels, gates, cell, output, rows, hidden, 1f, cellClip);
            // The same units in blocks of `block` units, each block's gates [rows, 4 x units] gathered side by side.
            float[] blockCell = (float[])cell0.Clone(), blockOutput = new float[rows * hidden];
            for (int u0 = 0; u0 < hidden; u0 += block)
            {
                int units = Math.Min(block, hidden - u0);
                float[] z = new float[rows * 4 * units];
                for (int r = 0; r < rows; r++)
                    for (int g = 0; g < 4; g++)
                        Array.Copy(gates, r * 4 * hidden + g * hidden + u0, z, r * 4 * units + g * units, units);
                LstmCell.Step(kernels, z, 4 * units, blockCell.AsSpan(u0), hidden, blockOutput.AsSpan(u0), hidden, rows, units, 1f, cellClip);
            }
            TestData.AssertBitIdentical(cell, blockCell, $"cell {variant} hidden={hidden} block={block}");
            TestData.AssertBitIdentical(output, blockOutput, $"output {variant} hidden={hidden} block={block}");
        }
    }

    [Fact]
    public void Parallel_spans_run_every_part_once_with_the_callers_spans()
    {
        float[] first = new float[64], second = new float[64];
        foreach (int threads in new[] { 1, 2, 4 })
        {
            Array.Clear(first);
            Array.Clear(second);
            ParallelSpans.For(8, threads, first, second, (part, f, s) =>
            {
                for (int i = part * 8; i < part * 8 + 8; i++)
                {
                    f[i] += part + 1;
                    s[i] += 2 * (part + 1);
                }
            });
            for (int i = 0; i < 64; i++)
            {
                Assert.Equal(i / 8 + 1, first[i]);
                Assert.Equal(2 * (i / 8 + 1), second[i]);
            }
        }
    }
}
