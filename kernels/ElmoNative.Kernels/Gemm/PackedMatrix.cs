// A GEMM right-hand operand packed once into the micro-kernel's panel layout: ceil(Columns / Nr)
// panels, each holding all Rows of Nr consecutive columns k-major (Rows x Nr, zero-padded on the right).
// The driver then streams any K block of a panel straight from here, skipping the per-call B packing.
// The layout depends on the SIMD variant (its Nr), which is therefore recorded with the data.
using ElmoNative.Kernels.Gemm;

namespace ElmoNative.Kernels;

/// <summary>
/// A right-hand GEMM operand B [Rows, Columns] packed once (at model load) into the panel layout the
/// micro-kernel streams, so that repeated products with it skip the packing step.
/// </summary>
public sealed unsafe class PackedMatrix
{
    private readonly float[] storage;
    private readonly int offset;

    private PackedMatrix(float[] storage, int offset, int rows, int columns, SimdVariant variant)
    {
        this.storage = storage;
        this.offset = offset;
        Rows = rows;
        Columns = columns;
        Variant = variant;
    }

    /// <summary>Rows of B (the inner dimension k of the product).</summary>
    public int Rows { get; }

    /// <summary>Columns of B (n).</summary>
    public int Columns { get; }

    /// <summary>The SIMD variant whose micro-kernel layout the panels are in.</summary>
    internal SimdVariant Variant { get; }

    /// <summary>Start of the first panel (64-byte aligned; the storage is pinned).</summary>
    internal float* Panels => (float*)System.Runtime.CompilerServices.Unsafe.AsPointer(ref storage[offset]);

    /// <summary>Packs B [rows, columns] (row-major, row stride ldb) for use in <see cref="Sgemm.Multiply(int, ReadOnlySpan{float}, int, PackedMatrix, float, Span{float}, int)"/>.</summary>
    public static PackedMatrix Pack(ReadOnlySpan<float> b, int rows, int columns, int ldb)
        => Pack(SimdDispatch.Current, Transpose.No, b, rows, columns, ldb);

    /// <summary>
    /// Packs op(B) [rows, columns]: with <paramref name="transB"/> = <see cref="Transpose.Yes"/>, b holds the
    /// transpose, [columns, rows] with row stride ldb (e.g. a weight stored output-major).
    /// </summary>
    /// <param name="transB">Whether b is stored transposed.</param>
    /// <param name="b">The values as stored.</param>
    /// <param name="rows">Rows of op(B) (the inner dimension k).</param>
    /// <param name="columns">Columns of op(B) (n).</param>
    /// <param name="ldb">Row stride of b as stored.</param>
    public static PackedMatrix Pack(Transpose transB, ReadOnlySpan<float> b, int rows, int columns, int ldb)
        => Pack(SimdDispatch.Current, transB, b, rows, columns, ldb);

    /// <summary>Packs op(B) for an explicit variant's micro-kernel.</summary>
    internal static PackedMatrix Pack(SimdVariant variant, Transpose transB, ReadOnlySpan<float> b, int rows, int columns, int ldb)
        => variant switch
        {
            SimdVariant.Vector512 => Pack<MicroKernel512>(variant, transB, b, rows, columns, ldb),
            SimdVariant.Vector256 => Pack<MicroKernel256>(variant, transB, b, rows, columns, ldb),
            _ => Pack<MicroKernelScalar>(variant, transB, b, rows, columns, ldb),
        };

    private static PackedMatrix Pack<TKernel>(SimdVariant variant, Transpose transB, ReadOnlySpan<float> b,
        int rows, int columns, int ldb)
        where TKernel : IMicroKernel
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(ldb);
        bool stored = transB == Transpose.No;
        Sgemm.CheckOperand(nameof(b), b.Length, stored ? rows : columns, stored ? columns : rows, ldb, true);
        var packed = Allocate(variant, TKernel.Nr, rows, columns);
        fixed (float* pb = b)
        {
            if (rows > 0 && columns > 0) Packing.PackB<TKernel>(transB, pb, ldb, 0, rows, 0, columns, packed.Panels);
        }
        return packed;
    }

    /// <summary>Uninitialized pinned storage for rows x columns in panels of nr columns, 64-byte aligned.</summary>
    private static PackedMatrix Allocate(SimdVariant variant, int nr, int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        long length = (long)rows * ((columns + nr - 1) / nr * nr);
        if (length + 16 > Array.MaxLength) throw new ArgumentException("The matrix is too large to pack.");
        var storage = GC.AllocateUninitializedArray<float>((int)length + 16, pinned: true);
        fixed (float* start = storage)
            return new PackedMatrix(storage, (int)(GemmWorkspace.AlignUp(start) - start), rows, columns, variant);
    }

    /// <summary>
    /// Starts packing B [rows, columns] from consecutive blocks of its rows, so that a large matrix read piece by piece
    /// (e.g. from a file) is packed without ever being whole in memory. The result equals <see cref="Pack(ReadOnlySpan{float}, int, int, int)"/>.
    /// </summary>
    /// <param name="rows">Rows of B (the inner dimension k).</param>
    /// <param name="columns">Columns of B (n).</param>
    public static Builder CreateBuilder(int rows, int columns) => new(SimdDispatch.Current, rows, columns);

    /// <summary>Builder for an explicit variant's micro-kernel.</summary>
    internal static Builder CreateBuilder(SimdVariant variant, int rows, int columns) => new(variant, rows, columns);

    /// <summary>Packs a <see cref="PackedMatrix"/> from consecutive row blocks of B, first row first.</summary>
    public sealed class Builder
    {
        private readonly PackedMatrix target;
        private readonly int nr;
        private bool built;

        internal Builder(SimdVariant variant, int rows, int columns)
        {
            nr = variant switch
            {
                SimdVariant.Vector512 => MicroKernel512.Nr,
                SimdVariant.Vector256 => MicroKernel256.Nr,
                _ => MicroKernelScalar.Nr,
            };
            target = Allocate(variant, nr, rows, columns);
        }

        /// <summary>Rows of B packed so far.</summary>
        public int RowsPacked { get; private set; }

        /// <summary>Packs the next <paramref name="blockRows"/> rows of B, given row-major with row stride <paramref name="ldb"/>.</summary>
        /// <param name="block">The rows RowsPacked .. RowsPacked + blockRows - 1 of B.</param>
        /// <param name="blockRows">Number of rows in the block.</param>
        /// <param name="ldb">Row stride of the block (at least the number of columns).</param>
        public void AppendRows(ReadOnlySpan<float> block, int blockRows, int ldb)
        {
            ObjectDisposedException.ThrowIf(built, this);
            ArgumentOutOfRangeException.ThrowIfNegative(blockRows);
            ArgumentOutOfRangeException.ThrowIfNegative(ldb);
            if (blockRows > target.Rows - RowsPacked)
                throw new ArgumentException($"{blockRows} rows do not fit: {RowsPacked} of {target.Rows} are packed already.", nameof(blockRows));
            Sgemm.CheckOperand(nameof(block), block.Length, blockRows, target.Columns, ldb, true);
            if (blockRows > 0 && target.Columns > 0)
                switch (target.Variant)
                {
                    case SimdVariant.Vector512: PackRows<MicroKernel512>(block, blockRows, ldb); break;
                    case SimdVariant.Vector256: PackRows<MicroKernel256>(block, blockRows, ldb); break;
                    default: PackRows<MicroKernelScalar>(block, blockRows, ldb); break;
                }
            RowsPacked += blockRows;
        }

        /// <summary>The packed matrix, once every row has been appended.</summary>
        public PackedMatrix Build()
        {
            if (RowsPacked != target.Rows)
                throw new InvalidOperationException($"Only {RowsPacked} of {target.Rows} rows were appended.");
            built = true;
            return target;
        }

        private void PackRows<TKernel>(ReadOnlySpan<float> block, int blockRows, int ldb)
            where TKernel : IMicroKernel
        {
            // Panel j holds rows 0 .. Rows - 1 of columns j*nr .. j*nr + nr - 1, k-major: the block's rows go to
            // rows RowsPacked .. of every panel, each panel packed on its own (PackB's panel stride is its kc).
            fixed (float* pb = block)
            {
                float* panels = target.Panels;
                for (int j0 = 0, panel = 0; j0 < target.Columns; j0 += nr, panel++)
                {
                    float* dst = panels + ((long)panel * target.Rows + RowsPacked) * nr;
                    Packing.PackB<TKernel>(Transpose.No, pb, ldb, 0, blockRows, j0, Math.Min(nr, target.Columns - j0), dst);
                }
            }
        }
    }
}
