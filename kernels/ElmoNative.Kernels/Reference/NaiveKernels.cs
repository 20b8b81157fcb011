namespace ElmoNative.Kernels.Reference;

/// <summary>
/// The executable specification of every kernel: plain scalar loops, no blocking, no SIMD.
/// The fast kernels are tested against these.
/// </summary>
public static class NaiveKernels
{
    /// <summary>
    /// C = alpha * op(A) op(B) + beta * C, all row-major. op(A) is [m, k], op(B) is [k, n], C is [m, n].
    /// lda, ldb, ldc are the row strides of A, B and C as stored.
    /// </summary>
    public static void Sgemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA == Transpose.No ? a[i * lda + p] : a[p * lda + i];
                    float bv = transB == Transpose.No ? b[p * ldb + j] : b[j * ldb + p];
                    sum += (double)av * bv;
                }
                float old = beta == 0f ? 0f : beta * c[i * ldc + j];
                c[i * ldc + j] = (float)(alpha * sum) + old;
            }
        }
    }
}
