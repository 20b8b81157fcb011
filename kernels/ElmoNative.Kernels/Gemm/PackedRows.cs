// A left GEMM operand A [Rows, Depth] packed once, for several products with prepacked right operands over ranges of
// their columns (Sgemm.Multiply(PackedRows, PackedMatrix, ...)): a caller that splits one product into column blocks,
// and works on each block while it is in cache, packs A once instead of once per block. The layout is the one the
// driver's few-rows loop order packs for itself (every K block of A at once), so each element of C receives the same
// K blocks in the same order as in the whole product: the bits equal Sgemm.Multiply with the same PackedMatrix.
using ElmoNative.Kernels.Gemm;
using ElmoNative.Kernels.Memory;
using ElmoNative.Kernels.Simd;

namespace ElmoNative.Kernels;

/// <summary>
/// Rows of a left GEMM operand packed for repeated products with <see cref="PackedMatrix"/> column ranges. Reusable:
/// <see cref="Pack(int, int, ReadOnlySpan{float}, int)"/> replaces the contents (the native block grows on demand and
/// is freed by <see cref="Dispose"/>). Not thread-safe to pack; products on several threads may read it at once.
/// </summary>
public sealed unsafe class PackedRows : IDisposable
{
    private float* data;
    private nuint bytes;
    private KernelSet? kernels;
    private bool disposed;

    /// <summary>Rows of A (m of the product).</summary>
    public int Rows { get; private set; }

    /// <summary>Columns of A (the inner dimension k of the product).</summary>
    public int Depth { get; private set; }

    /// <summary>The kernel set whose micro-kernel layout the rows are in (null before the first pack).</summary>
    internal KernelSet? Kernels => kernels;

    /// <summary>Start of the packed rows.</summary>
    internal float* Data
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return data;
        }
    }

    /// <summary>Packs A [rows, depth] (row-major, row stride lda) for products with matrices packed by <see cref="PackedMatrix.Pack(ReadOnlySpan{float}, int, int, int)"/>.</summary>
    /// <param name="rows">Rows of A.</param>
    /// <param name="depth">Columns of A (the rows of the packed right operands).</param>
    /// <param name="a">The values.</param>
    /// <param name="lda">Row stride of a.</param>
    public void Pack(int rows, int depth, ReadOnlySpan<float> a, int lda) => Pack(KernelSet.Current, rows, depth, a, lda);

    /// <summary>Packs A for an explicit kernel set's micro-kernel.</summary>
    internal void Pack(KernelSet set, int rows, int depth, ReadOnlySpan<float> a, int lda)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        ArgumentOutOfRangeException.ThrowIfNegative(lda);
        Sgemm.CheckOperand(nameof(a), a.Length, rows, depth, lda, rows > 0 && depth > 0);
        int length = set.PackedRowsLength(rows, depth);
        Grow((nuint)length * sizeof(float));
        kernels = set;
        Rows = rows;
        Depth = depth;
        if (rows == 0 || depth == 0) return;
        fixed (float* pa = a)
        {
            var g = new GemmArgs { TransA = Transpose.No, M = rows, K = depth, Alpha = 1f, A = pa, Lda = lda };
            set.PackRows(ref g, data);
        }
    }

    /// <summary>Frees the native block.</summary>
    public void Dispose()
    {
        disposed = true;
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the block of rows that were never disposed.</summary>
    ~PackedRows() => Free();

    private void Grow(nuint needed)
    {
        if (needed <= bytes) return;
        Free();
        data = (float*)AlignedMemory.Allocate(needed);
        bytes = needed;
    }

    private void Free()
    {
        AlignedMemory.Free(data, bytes);
        data = null;
        bytes = 0;
    }
}
