using ElmoNative.Kernels;

namespace ElmoNative.Checkpoints;

/// <summary>
/// Where the layers' constructors take their weights from: small tensors (biases, filters) whole, large matrices
/// packed straight into the GEMM layout. From a file, a matrix is read a few megabytes at a time and each block is
/// packed as it arrives, so no weight matrix is ever in memory twice (peak memory close to the model's own size).
/// </summary>
internal abstract class WeightSource : IDisposable
{
    /// <summary>Frees the source's read buffer (the tensors and matrices it returned are the caller's).</summary>
    public virtual void Dispose()
    {
    }

    /// <summary>Tensor <paramref name="name"/>, whole, as a new or shared array the caller must not modify.</summary>
    public abstract float[] Read(string name);

    /// <summary>
    /// Rows <paramref name="firstRow"/> .. firstRow + rows - 1 of matrix <paramref name="name"/> [R, C], packed (B operand
    /// [rows, C]); with <paramref name="columnOrder"/>, packed column j is column columnOrder[j] of the matrix.
    /// </summary>
    public abstract PackedMatrix ReadPacked(string name, int firstRow, int rows, int[]? columnOrder = null);

    /// <summary>The whole matrix <paramref name="name"/> packed.</summary>
    public PackedMatrix ReadPacked(string name) => ReadPacked(name, 0, RowCount(name));

    /// <summary>A builder of rows x columns, in <paramref name="columnOrder"/> when there is one.</summary>
    private static PackedMatrix.Builder Builder(int rows, int columns, int[]? columnOrder) =>
        columnOrder is null ? PackedMatrix.CreateBuilder(rows, columns) : PackedMatrix.CreateBuilder(rows, columns, columnOrder);

    /// <summary>R, the rows of matrix <paramref name="name"/>.</summary>
    protected abstract int RowCount(string name);

    /// <summary>Weights of an in-memory checkpoint.</summary>
    public static WeightSource FromCheckpoint(Checkpoint checkpoint) => new InMemory(checkpoint);

    /// <summary>Weights read from an open file, large matrices in blocks of about <paramref name="blockValues"/> values (4 MB).</summary>
    public static WeightSource FromReader(CheckpointReader reader, int blockValues = 1 << 20) => new FromFile(reader, blockValues);

    private sealed class InMemory(Checkpoint checkpoint) : WeightSource
    {
        public override float[] Read(string name) => checkpoint[name];

        public override PackedMatrix ReadPacked(string name, int firstRow, int rows, int[]? columnOrder = null)
        {
            int columns = checkpoint.Tensors[name].Shape[1];
            var builder = Builder(rows, columns, columnOrder);
            builder.AppendRows(checkpoint[name].AsSpan(firstRow * columns, rows * columns), rows, columns);
            return builder.Build();
        }

        protected override int RowCount(string name) => checkpoint.Tensors[name].Shape[0];
    }

    private sealed class FromFile(CheckpointReader reader, int blockValues) : WeightSource
    {
        private readonly NativeBuffer<float> block = new(); // one row block, reused for every matrix

        public override void Dispose()
        {
            block.Dispose();
            base.Dispose();
        }

        // Whole tensors (biases, filters, the character embedding) are small and kept by the layers; nothing here forces
        // a garbage collection (the runtime collects what loading leaves behind when it sees fit).
        public override float[] Read(string name) => reader.Read(name);

        public override PackedMatrix ReadPacked(string name, int firstRow, int rows, int[]? columnOrder = null)
        {
            int columns = reader.Shape(name)[1];
            int blockRows = Math.Max(1, blockValues / Math.Max(1, columns));
            var builder = Builder(rows, columns, columnOrder);
            for (int r = 0; r < rows; r += blockRows)
            {
                int count = Math.Min(blockRows, rows - r);
                var buffer = block.Get(count * columns);
                reader.ReadRows(name, firstRow + r, count, buffer);
                builder.AppendRows(buffer, count, columns);
            }
            return builder.Build();
        }

        protected override int RowCount(string name) => reader.Shape(name)[0];
    }
}
