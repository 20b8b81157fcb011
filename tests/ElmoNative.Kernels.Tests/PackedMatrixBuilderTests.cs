// The row-block builder of PackedMatrix against whole-matrix packing: random odd shapes cut into random
// consecutive row blocks (padded strides, empty blocks) give the same packed panels bit for bit, on every
// SIMD variant; and misuse (too many rows, building before every row came) is rejected.
using ElmoNative.Kernels.Gemm;
using FsCheck.Xunit;

namespace ElmoNative.Kernels.Tests;

public class PackedMatrixBuilderTests
{
    private static int PanelFloats(PackedMatrix p, int nr) => p.Rows * ((p.Columns + nr - 1) / nr * nr);

    private static int Nr(SimdVariant variant) => KernelSet.For(variant).Nr;

    [Property(MaxTest = 100)]
    public void Row_blocks_pack_exactly_like_the_whole_matrix(int seed, byte rowsSeed, byte columnsSeed, byte padSeed)
    {
        var random = new Random(seed);
        int rows = rowsSeed % 70, columns = 1 + columnsSeed % 83, pad = padSeed % 3;
        float[] b = TestData.Matrix(random, rows, columns, columns);
        foreach (SimdVariant variant in TestData.Variants)
        {
            var whole = PackedMatrix.Pack(variant, Transpose.No, b, rows, columns, columns);
            var builder = PackedMatrix.CreateBuilder(variant, rows, columns);
            int ldb = columns + pad;
            for (int r0 = 0; r0 < rows;)
            {
                int count = Math.Min(rows - r0, random.Next(0, 9));
                // The block as a reader would deliver it: its own buffer, row stride ldb, junk in the padding.
                float[] block = TestData.NaNs(Math.Max(0, count * ldb));
                for (int r = 0; r < count; r++) b.AsSpan((r0 + r) * columns, columns).CopyTo(block.AsSpan(r * ldb));
                builder.AppendRows(block, count, ldb);
                r0 += count;
            }
            var blocks = builder.Build();
            int length = PanelFloats(whole, Nr(variant));
            var expected = whole.PanelValues(0, length).ToArray();
            var actual = blocks.PanelValues(0, length).ToArray();
            Assert.Equal((rows, columns, variant), (blocks.Rows, blocks.Columns, blocks.Variant));
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{variant} rows={rows} columns={columns} pad={pad}");
        }
    }

    /// <summary>
    /// A builder given a column order packs what packing in order and then reordering gives, bit for bit: orders made of
    /// runs of consecutive columns (whole panels are packed straight, as the LSTM's gate blocks are) or of single
    /// columns (gathered), with odd widths and row blocks.
    /// </summary>
    [Property(MaxTest = 100)]
    public void Row_blocks_in_a_column_order_pack_like_reordering_afterwards(int seed, byte rowsSeed, byte columnsSeed, byte runSeed)
    {
        var random = new Random(seed);
        int rows = 1 + rowsSeed % 40, columns = 1 + columnsSeed % 150;
        float[] b = TestData.Matrix(random, rows, columns, columns);
        foreach (SimdVariant variant in TestData.Variants)
        {
            int run = (runSeed % 4) switch { 0 => 1, 1 => Nr(variant), 2 => 2 * Nr(variant), _ => 3 };
            int[] order = RunsShuffled(random, columns, run);
            using var inOrder = PackedMatrix.Pack(variant, Transpose.No, b, rows, columns, columns);
            using var expected = inOrder.WithColumnOrder(order);
            var builder = PackedMatrix.CreateBuilder(variant, rows, columns, order);
            for (int r0 = 0; r0 < rows;)
            {
                int count = Math.Min(rows - r0, random.Next(1, 9));
                builder.AppendRows(b.AsSpan(r0 * columns, count * columns), count, columns);
                r0 += count;
            }
            using var actual = builder.Build();
            int length = PanelFloats(expected, Nr(variant));
            Assert.True(expected.PanelValues(0, length).SequenceEqual(actual.PanelValues(0, length)),
                $"{variant} rows={rows} columns={columns} run={run}");
        }
    }

    /// <summary>0 .. columns - 1 cut into runs of <paramref name="run"/> consecutive columns (the last shorter), the runs shuffled.</summary>
    private static int[] RunsShuffled(Random random, int columns, int run)
    {
        var runs = Enumerable.Range(0, (columns + run - 1) / run).Select(r => Enumerable.Range(r * run, Math.Min(run, columns - r * run)).ToArray()).ToArray();
        random.Shuffle(runs);
        return runs.SelectMany(r => r).ToArray();
    }

    [Fact]
    public void A_column_order_that_is_not_a_permutation_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => PackedMatrix.CreateBuilder(2, 3, [0, 1]));
        Assert.Throws<ArgumentException>(() => PackedMatrix.CreateBuilder(2, 3, [0, 1, 1]));
        Assert.Throws<ArgumentException>(() => PackedMatrix.CreateBuilder(2, 3, [0, 1, 3]));
    }

    [Fact]
    public void Builder_rejects_too_many_rows_and_an_early_build()
    {
        var builder = PackedMatrix.CreateBuilder(5, 3);
        builder.AppendRows(new float[6], 2, 3);
        Assert.Equal(2, builder.RowsPacked);
        Assert.Throws<ArgumentException>(() => builder.AppendRows(new float[12], 4, 3));
        Assert.Throws<InvalidOperationException>(() => builder.Build());
        builder.AppendRows(new float[9], 3, 3);
        Assert.Equal(5, builder.Build().Rows);
        Assert.Throws<ObjectDisposedException>(() => builder.AppendRows(new float[3], 1, 3));
    }
}
