// Copies blocks of A and B into the panel layouts the micro-kernels stream (Goto/BLIS packing).
// A block: panels of Mr rows, each stored k-major (kc x Mr), scaled by alpha, rows past the block zero.
// B block: panels of Nr columns, each stored k-major (kc x Nr), columns past the block zero.
// Transposes are resolved here, and A is read only through (row * lda + col) indexing, so the
// overlapping rows of the convolution (lda smaller than k) need no im2col copy.
using System.Runtime.CompilerServices;

namespace ElmoNative.Kernels.Gemm;

/// <summary>Packing of GEMM operand blocks into micro-kernel panel layout.</summary>
internal static unsafe class Packing
{
    /// <summary>Packs op(A)[i0 .. i0+mc, p0 .. p0+kc) times alpha into dst (ceil(mc / Mr) panels of kc x Mr).</summary>
    public static void PackA<TKernel>(in GemmArgs g, int i0, int mc, int p0, int kc, float* dst)
        where TKernel : IMicroKernel
    {
        int mr = TKernel.Mr;
        float alpha = g.Alpha;
        for (int ir = 0; ir < mc; ir += mr, dst += (nint)kc * mr)
        {
            int rows = Math.Min(mr, mc - ir);
            if (g.TransA == Transpose.No)
            {
                // op(A)[i, p] = a[i * lda + p]: each source row is contiguous in p.
                for (int r = 0; r < rows; r++)
                {
                    float* src = g.A + (i0 + ir + r) * g.Lda + p0;
                    float* d = dst + r;
                    for (int p = 0; p < kc; p++) d[(nint)p * mr] = alpha * src[p];
                }
            }
            else
            {
                // op(A)[i, p] = a[p * lda + i]: each panel row of the packed block is contiguous in the source.
                for (int p = 0; p < kc; p++)
                {
                    float* src = g.A + (p0 + p) * g.Lda + i0 + ir;
                    float* d = dst + (nint)p * mr;
                    for (int r = 0; r < rows; r++) d[r] = alpha * src[r];
                }
            }
            if (rows < mr)
            {
                for (int p = 0; p < kc; p++)
                    for (int r = rows; r < mr; r++) dst[(nint)p * mr + r] = 0f;
            }
        }
    }

    /// <summary>
    /// Packs op(B)[p0 .. p0+kc, j0 .. j0+nc) into dst as ceil(nc / Nr) panels of kc x Nr, one after another
    /// (panel stride kc * Nr).
    /// </summary>
    public static void PackB<TKernel>(Transpose transB, float* b, nint ldb, int p0, int kc, int j0, int nc, float* dst)
        where TKernel : IMicroKernel
    {
        int nr = TKernel.Nr;
        for (int jr = 0; jr < nc; jr += nr, dst += (nint)kc * nr)
        {
            int cols = Math.Min(nr, nc - jr);
            if (transB == Transpose.No)
            {
                // op(B)[p, j] = b[p * ldb + j]: a panel row is a contiguous run of the source row.
                float* src = b + p0 * ldb + j0 + jr;
                if (cols == nr)
                {
                    for (int p = 0; p < kc; p++, src += ldb)
                        Unsafe.CopyBlockUnaligned(dst + (nint)p * nr, src, (uint)(nr * sizeof(float)));
                }
                else
                {
                    for (int p = 0; p < kc; p++, src += ldb)
                    {
                        float* d = dst + (nint)p * nr;
                        for (int j = 0; j < cols; j++) d[j] = src[j];
                        for (int j = cols; j < nr; j++) d[j] = 0f;
                    }
                }
            }
            else
            {
                // op(B)[p, j] = b[j * ldb + p]: each source row fills one column of the panel.
                for (int j = 0; j < cols; j++)
                {
                    float* src = b + (j0 + jr + j) * ldb + p0;
                    float* d = dst + j;
                    for (int p = 0; p < kc; p++) d[(nint)p * nr] = src[p];
                }
                for (int p = 0; p < kc && cols < nr; p++)
                    for (int j = cols; j < nr; j++) dst[(nint)p * nr + j] = 0f;
            }
        }
    }
}
