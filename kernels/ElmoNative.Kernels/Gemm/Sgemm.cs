// Public SGEMM entry points: argument checks, pinning, and the hand-off to the kernel set of the chosen SIMD variant
// (Simd/KernelSet.cs), which runs its micro-kernel. The blocked loop nest is in GemmDriver, the split over threads in
// GemmParallel, packing in Packing. The thread count comes from the one budget, KernelSettings.ThreadsForCurrentThread.
using ElmoNative.Kernels.Gemm;
using ElmoNative.Kernels.Simd;

namespace ElmoNative.Kernels;

/// <summary>Single-precision general matrix multiply on row-major matrices.</summary>
public static class Sgemm
{
    /// <summary>
    /// C = alpha * op(A) op(B) + beta * C, all row-major. op(A) is [m, k], op(B) is [k, n], C is [m, n].
    /// lda, ldb, ldc are the row strides of A, B and C as stored (rows may overlap in A, which the
    /// character convolution uses). With beta = 0, C is only written, never read.
    /// </summary>
    public static void Multiply(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
        => Multiply(KernelSet.Current.Variant, KernelSettings.ThreadsForCurrentThread, null,
            transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>C = A B + beta * C with B prepacked by <see cref="PackedMatrix"/>; A is [m, B.Rows] with row stride lda.</summary>
    public static void Multiply(int m, ReadOnlySpan<float> a, int lda, PackedMatrix b, float beta, Span<float> c, int ldc)
        => Multiply(KernelSettings.ThreadsForCurrentThread, null, m, a, lda, b, beta, c, ldc);

    /// <summary>C = A B + beta * C with B prepacked, for any transpose of A and any alpha.</summary>
    /// <param name="transA">Whether A is stored transposed (then it is [B.Rows, m] with row stride lda).</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">The left operand.</param>
    /// <param name="lda">Row stride of A as stored.</param>
    /// <param name="b">The prepacked right operand [k, n].</param>
    /// <param name="beta">Scale of the old C (0: C is only written).</param>
    /// <param name="c">The result [m, b.Columns].</param>
    /// <param name="ldc">Row stride of C.</param>
    public static void Multiply(Transpose transA, int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        float beta, Span<float> c, int ldc)
        => Multiply(KernelSettings.ThreadsForCurrentThread, null, transA, m, alpha, a, lda, b, beta, c, ldc);

    /// <summary>
    /// Columns <paramref name="firstColumn"/> .. firstColumn + columns - 1 of the product A B, with A packed by
    /// <see cref="PackedRows"/>: C [a.Rows, columns] (row stride ldc; its column 0 is B's column firstColumn) = that
    /// block + beta C, on the calling thread. The bits equal those columns of
    /// <see cref="Multiply(int, ReadOnlySpan{float}, int, PackedMatrix, float, Span{float}, int)"/>.
    /// </summary>
    /// <param name="a">The left operand, packed for b's kernels (a.Depth = b.Rows).</param>
    /// <param name="b">The prepacked right operand.</param>
    /// <param name="firstColumn">First column of B, a multiple of <see cref="PackedMatrix.PanelWidth"/>.</param>
    /// <param name="columns">Columns of the block (up to b.Columns - firstColumn).</param>
    /// <param name="beta">Scale of the old C (0: C is only written).</param>
    /// <param name="c">The block of the result.</param>
    /// <param name="ldc">Row stride of C (at least columns).</param>
    public static unsafe void Multiply(PackedRows a, PackedMatrix b, int firstColumn, int columns, float beta, Span<float> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfNegative(firstColumn);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(columns, b.Columns - firstColumn);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, columns);
        if (firstColumn % b.PanelWidth != 0)
            throw new ArgumentException($"The first column {firstColumn} is not a multiple of the panel width {b.PanelWidth}.", nameof(firstColumn));
        int m = a.Rows;
        CheckOperand(nameof(c), c.Length, m, columns, ldc, true);
        if (m == 0 || columns == 0) return;
        if (a.Depth != b.Rows) throw new ArgumentException($"A has {a.Depth} columns but B has {b.Rows} rows.", nameof(a));
        if (a.Kernels != b.Kernels) throw new ArgumentException("A and B are packed for different micro-kernels.", nameof(a));
        fixed (float* pc = c)
        {
            if (beta != 0f && beta != 1f)
                for (int i = 0; i < m; i++) b.Kernels.Scale(new Span<float>(pc + i * ldc, columns), beta);
            if (b.Rows == 0)
            {
                if (beta == 0f)
                    for (int i = 0; i < m; i++) new Span<float>(pc + i * ldc, columns).Clear();
                return;
            }
            var g = new GemmArgs
            {
                TransA = Transpose.No,
                TransB = Transpose.No,
                M = m,
                N = b.Columns,
                K = b.Rows,
                Alpha = 1f,
                Beta = beta == 0f ? 0f : 1f,
                PackedB = b.Panels,
                C = pc,
                Ldc = ldc,
            };
            b.Kernels.GemmPackedRows(ref g, a.Data, firstColumn, firstColumn + columns);
            GC.KeepAlive(a);
            GC.KeepAlive(b);
        }
    }

    /// <summary>
    /// Threads a product of <paramref name="flops"/> floating-point operations is worth splitting over: 1 below the
    /// bound under which the products here stay on the calling thread, else the calling thread's budget
    /// (<see cref="KernelSettings.ThreadsForCurrentThread"/>). For callers that split work built of products themselves.
    /// </summary>
    /// <param name="flops">2 m n k of the work.</param>
    public static int ThreadsFor(long flops)
        => flops < GemmParallel.MinParallelFlops ? 1 : KernelSettings.ThreadsForCurrentThread;

    /// <summary>The general product on an explicit variant, thread count and (optionally) block sizes.</summary>
    internal static unsafe void Multiply(SimdVariant variant, int maxThreads, GemmBlocking? blocking,
        Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        CheckShape(m, n, k, lda, ldb, ldc);
        CheckOperand(nameof(a), a.Length, transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, lda, m > 0 && k > 0 && n > 0);
        CheckOperand(nameof(b), b.Length, transB == Transpose.No ? k : n, transB == Transpose.No ? n : k, ldb, m > 0 && k > 0 && n > 0);
        CheckOperand(nameof(c), c.Length, m, n, ldc, true);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            var g = new GemmArgs
            {
                TransA = transA,
                TransB = transB,
                M = m,
                N = n,
                K = k,
                Alpha = alpha,
                Beta = beta,
                A = pa,
                Lda = lda,
                B = pb,
                Ldb = ldb,
                C = pc,
                Ldc = ldc,
            };
            Run(KernelSet.For(variant), ref g, maxThreads, blocking);
        }
    }

    /// <summary>The prepacked product on an explicit thread count and (optionally) block sizes (variant: the packing's).</summary>
    internal static void Multiply(int maxThreads, GemmBlocking? blocking,
        int m, ReadOnlySpan<float> a, int lda, PackedMatrix b, float beta, Span<float> c, int ldc)
        => Multiply(maxThreads, blocking, Transpose.No, m, 1f, a, lda, b, beta, c, ldc);

    /// <summary>The prepacked product with transA and alpha on an explicit thread count and block sizes.</summary>
    internal static unsafe void Multiply(int maxThreads, GemmBlocking? blocking, Transpose transA, int m, float alpha,
        ReadOnlySpan<float> a, int lda, PackedMatrix b, float beta, Span<float> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(b);
        int n = b.Columns, k = b.Rows;
        CheckShape(m, n, k, lda, 1, ldc);
        CheckOperand(nameof(a), a.Length, transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, lda, m > 0 && k > 0 && n > 0);
        CheckOperand(nameof(c), c.Length, m, n, ldc, true);
        if (m == 0 || n == 0) return;
        fixed (float* pa = a)
        fixed (float* pc = c)
        {
            var g = new GemmArgs
            {
                TransA = transA,
                TransB = Transpose.No,
                M = m,
                N = n,
                K = k,
                Alpha = alpha,
                Beta = beta,
                A = pa,
                Lda = lda,
                PackedB = b.Panels,
                C = pc,
                Ldc = ldc,
            };
            Run(b.Kernels, ref g, maxThreads, blocking);
            GC.KeepAlive(b);
        }
    }

    private static void Run(KernelSet kernels, ref GemmArgs g, int maxThreads, GemmBlocking? blocking)
    {
        if (g.K == 0 || g.Alpha == 0f)
        {
            ScaleOnly(kernels, ref g);
            return;
        }
        kernels.Gemm(ref g, maxThreads, blocking);
    }

    /// <summary>C = beta * C (the product is empty or scaled by zero).</summary>
    private static unsafe void ScaleOnly(KernelSet kernels, ref GemmArgs g)
    {
        for (int i = 0; i < g.M; i++)
        {
            var row = new Span<float>(g.C + i * g.Ldc, g.N);
            if (g.Beta == 0f) row.Clear();
            else kernels.Scale(row, g.Beta);
        }
    }

    private static void CheckShape(int m, int n, int k, int lda, int ldb, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(lda);
        ArgumentOutOfRangeException.ThrowIfNegative(ldb);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldc, n);
    }

    /// <summary>Checks that a stored [rows, columns] operand with row stride ld fits in its span.</summary>
    internal static void CheckOperand(string name, int length, int rows, int columns, int ld, bool used)
    {
        if (!used || rows == 0 || columns == 0) return;
        long needed = (long)(rows - 1) * ld + columns;
        if (length < needed)
            throw new ArgumentException($"Operand {name} holds {length} values but [{rows} x {columns}] with stride {ld} needs {needed}.", name);
    }
}
