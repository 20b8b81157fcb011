// SGEMM with an explicit thread budget per call, for callers that already run independent work on each core (e.g.
// two independent recurrent networks, one per core): their GEMMs must not split across threads again.
namespace ElmoNative.Kernels;

/// <summary><see cref="Sgemm"/> with the number of threads chosen per call instead of <see cref="KernelSettings.MaxThreads"/>.</summary>
public static class SgemmThreads
{
    /// <summary>
    /// C = alpha * op(A) op(B) + beta * C as <see cref="Sgemm.Multiply(Transpose, Transpose, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>,
    /// using at most <paramref name="maxThreads"/> threads (1: entirely on the calling thread).
    /// </summary>
    /// <param name="maxThreads">Most threads this call may use (at least 1).</param>
    /// <param name="transA">Whether A is stored transposed.</param>
    /// <param name="transB">Whether B is stored transposed.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A as stored.</param>
    /// <param name="lda">Row stride of A as stored.</param>
    /// <param name="b">B as stored.</param>
    /// <param name="ldb">Row stride of B as stored.</param>
    /// <param name="beta">Scale of the old C (0: C is only written).</param>
    /// <param name="c">C [m, n].</param>
    /// <param name="ldc">Row stride of C.</param>
    public static void Multiply(int maxThreads, Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        Sgemm.Multiply(SimdDispatch.Current, maxThreads, null, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
