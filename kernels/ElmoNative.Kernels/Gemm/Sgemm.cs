using ElmoNative.Kernels.Reference;

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
        => NaiveKernels.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>C = A B + beta * C with B prepacked by <see cref="PackedMatrix"/>; A is [m, B.Rows] with row stride lda.</summary>
    public static void Multiply(int m, ReadOnlySpan<float> a, int lda, PackedMatrix b, float beta, Span<float> c, int ldc)
        => NaiveKernels.Sgemm(Transpose.No, Transpose.No, m, b.Columns, b.Rows, 1f, a, lda, b.Source, b.Columns, beta, c, ldc);
}
