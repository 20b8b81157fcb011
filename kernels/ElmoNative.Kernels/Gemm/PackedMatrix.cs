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
        int nr = TKernel.Nr;
        long length = (long)rows * ((columns + nr - 1) / nr * nr);
        if (length + 16 > Array.MaxLength) throw new ArgumentException("The matrix is too large to pack.", nameof(b));
        var storage = GC.AllocateUninitializedArray<float>((int)length + 16, pinned: true);
        fixed (float* start = storage)
        fixed (float* pb = b)
        {
            float* panels = GemmWorkspace.AlignUp(start);
            if (rows > 0 && columns > 0) Packing.PackB<TKernel>(transB, pb, ldb, 0, rows, 0, columns, panels);
            return new PackedMatrix(storage, (int)(panels - start), rows, columns, variant);
        }
    }
}
