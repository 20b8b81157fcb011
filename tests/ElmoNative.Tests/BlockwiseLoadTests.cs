using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests;

/// <summary>
/// Loading reads the large matrices in row blocks (HDF5 hyperslabs) and packs each block as it arrives: every row range
/// read equals the same rows of the whole dataset, and packing from blocks of any size equals packing the whole slice.
/// </summary>
public class BlockwiseLoadTests
{
    private static Checkpoint Tiny => SharedModels.Tiny;

    private static IEnumerable<string> Matrices(ElmoOptions options) =>
        CheckpointLayout.Expected(options).Where(e => e.Shape.Length == 2).Select(e => e.Name);

    [Fact]
    public void RowRangesReadEqualTheWholeDataset()
    {
        using var dir = new TempDirectory();
        Tiny.SaveDirectory(dir.Path);
        using var reader = new CheckpointReader(Tiny.Options, dir.File(ModelFiles.WeightsFileName));
        var random = new Random(3);
        foreach (string name in Matrices(Tiny.Options))
        {
            float[] whole = reader.Read(name);
            int rows = reader.Shape(name)[0], columns = reader.Shape(name)[1];
            for (int trial = 0; trial < 5; trial++)
            {
                int first = random.Next(rows), count = random.Next(rows - first + 1);
                var buffer = new float[count * columns];
                reader.ReadRows(name, first, count, buffer);
                Assert.True(whole.AsSpan(first * columns, count * columns).SequenceEqual(buffer), $"{name} rows {first} + {count}");
            }
            Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadRows(name, rows - 1, 2, new float[2 * columns]));
            Assert.Throws<ArgumentException>(() => reader.ReadRows(name, 0, 1, new float[columns + 1]));
        }
    }

    [Theory]
    [InlineData(1)]      // one row per block
    [InlineData(37)]     // blocks of a few rows that do not divide the row count
    [InlineData(1 << 20)] // the whole matrix in one block
    public void MatricesPackedFromBlocksEqualTheWholeMatrix(int blockValues)
    {
        using var dir = new TempDirectory();
        Tiny.SaveDirectory(dir.Path);
        using var reader = new CheckpointReader(Tiny.Options, dir.File(ModelFiles.WeightsFileName));
        var fromFile = WeightSource.FromReader(reader, blockValues);
        var inMemory = WeightSource.FromCheckpoint(Tiny);
        foreach (string name in Matrices(Tiny.Options))
        {
            int rows = Tiny.Tensors[name].Shape[0];
            foreach (var (first, count) in new[] { (0, rows), (0, rows / 2), (rows / 3, rows - rows / 3) })
            {
                // Packed layouts are compared through the product with the identity, which reproduces B exactly.
                float[] expected = Unpack(inMemory.ReadPacked(name, first, count));
                float[] actual = Unpack(fromFile.ReadPacked(name, first, count));
                Assert.True(expected.AsSpan().SequenceEqual(actual), $"{name} rows {first} + {count}, blocks of {blockValues} values");
                Assert.True(Tiny[name].AsSpan(first * Tiny.Tensors[name].Shape[1], expected.Length).SequenceEqual(expected), name);
            }
        }
    }

    private static float[] Unpack(PackedMatrix b)
    {
        var identity = new float[b.Rows * b.Rows];
        for (int i = 0; i < b.Rows; i++) identity[i * b.Rows + i] = 1f;
        var c = new float[b.Rows * b.Columns];
        Sgemm.Multiply(b.Rows, identity, b.Rows, b, 0f, c, b.Columns);
        return c;
    }
}
