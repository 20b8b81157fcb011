// Copies blocks of A and B into the panel layouts the micro-kernels stream (Goto/BLIS packing).
// A block: panels of Mr rows, each stored k-major (kc x Mr), scaled by alpha, rows past the block zero; the last two
// panels may share their rows out more evenly (PanelRows).
// B block: panels of Nr columns, each stored k-major (kc x Nr), columns past the block zero.
// Transposes are resolved here, and A is read only through (row * lda + col) indexing, so the
// overlapping rows of the convolution (lda smaller than k) need no im2col copy.
// A full panel of 8 rows (the AVX-512 kernel's Mr) or 6 (the AVX2 kernel's) is packed 8 x 8 at a time, transposed in
// registers, instead of element by element with strided stores: the same products alpha * a, so the same bits, at a
// fraction of the cost (the LSTM projection's A, rows x 1,024 for 128 columns of output, spent as long packing as
// multiplying).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ElmoNative.Kernels.Gemm;

/// <summary>Packing of GEMM operand blocks into micro-kernel panel layout.</summary>
internal static unsafe class Packing
{
    /// <summary>
    /// Rows of the A panel that starts at row <paramref name="ir"/> of a block of <paramref name="mc"/> rows: Mr, except
    /// that a remainder r of fewer than Mr / 2 rows after a full panel is evened out with it, the last Mr + r rows
    /// making two panels of ceil((Mr + r) / 2) and floor((Mr + r) / 2) rows. A tile of fewer than Mr / 2 rows has too
    /// few accumulator chains to cover the FMA latency (the AVX2 kernel's one-row tile runs at a quarter of the FMA rate,
    /// its two-row tile at half); two tiles of about Mr / 2 rows run at nearly the full rate. A row's result does not
    /// depend on the tile that computes it, so the bits do not change. The panels still number ceil(mc / Mr), Mr rows
    /// apart in the packed block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int PanelRows<TKernel>(int mc, int ir)
        where TKernel : IMicroKernel
    {
        int mr = TKernel.Mr, left = mc - ir;
        if (left <= mr || left >= 2 * mr) return Math.Min(mr, left);
        return 2 * (left - mr) < mr ? (left + 1) / 2 : mr;
    }

    /// <summary>
    /// <see cref="PackA{TKernel}(in GemmArgs, int, int, int, int, float*)"/> on spans (for the tests, so that code outside
    /// the kernels needs no pointers): <paramref name="a"/> is op(A) stored with row stride lda, transposed or not.
    /// </summary>
    internal static void PackA<TKernel>(Transpose transA, ReadOnlySpan<float> a, int lda, float alpha, int i0, int mc, int p0, int kc, Span<float> dst)
        where TKernel : IMicroKernel
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dst.Length, (mc + TKernel.Mr - 1) / TKernel.Mr * TKernel.Mr * kc, nameof(dst));
        long last = transA == Transpose.No ? (long)(i0 + mc - 1) * lda + p0 + kc : (long)(p0 + kc - 1) * lda + i0 + mc;
        ArgumentOutOfRangeException.ThrowIfLessThan(a.Length, last, nameof(a));
        fixed (float* pa = a, pd = dst)
        {
            var g = new GemmArgs { TransA = transA, Alpha = alpha, A = pa, Lda = lda };
            PackA<TKernel>(g, i0, mc, p0, kc, pd);
        }
    }

    /// <summary>Packs op(A)[i0 .. i0+mc, p0 .. p0+kc) times alpha into dst (ceil(mc / Mr) panels of kc x Mr, rows as <see cref="PanelRows"/> gives them).</summary>
    public static void PackA<TKernel>(in GemmArgs g, int i0, int mc, int p0, int kc, float* dst)
        where TKernel : IMicroKernel
    {
        int mr = TKernel.Mr;
        float alpha = g.Alpha;
        for (int ir = 0, rows; ir < mc; ir += rows, dst += (nint)kc * mr)
        {
            rows = PanelRows<TKernel>(mc, ir);
            if (g.TransA == Transpose.No)
            {
                // op(A)[i, p] = a[i * lda + p]: each source row is contiguous in p.
                if ((mr == 8 || mr == 6) && rows == mr && Avx.IsSupported)
                {
                    PackPanelTransposed(g.A + (i0 + ir) * g.Lda + p0, g.Lda, mr, kc, alpha, dst);
                    continue;
                }
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
    /// dst[p * mr + r] = alpha * a[r * lda + p] for r &lt; mr (8 or 6), p &lt; kc: a full panel of A into its k-major
    /// layout, eight columns at a time through an 8 x 8 transpose in registers (unpack, shuffle, then swap of 128-bit
    /// halves; a 6-row panel transposes two rows of zeros with it). Each column is stored 8 wide at dst + p * mr: for
    /// mr = 6 its last two lanes land on the next column's first two, which the next store writes over, so the vector
    /// loop stops while a column is left after it.
    /// </summary>
    internal static void PackPanelTransposed(float* a, nint lda, int mr, int kc, float alpha, float* dst)
    {
        var scale = Vector256.Create(alpha);
        int p = 0, spill = 8 - mr;
        for (; p + 8 + spill <= kc; p += 8, dst += 8 * mr)
        {
            float* s = a + p;
            var r0 = Avx.LoadVector256(s) * scale;               // row 0: a0 .. a7
            var r1 = Avx.LoadVector256(s + lda) * scale;         // row 1: b0 .. b7
            var r2 = Avx.LoadVector256(s + 2 * lda) * scale;
            var r3 = Avx.LoadVector256(s + 3 * lda) * scale;
            var r4 = Avx.LoadVector256(s + 4 * lda) * scale;
            var r5 = Avx.LoadVector256(s + 5 * lda) * scale;
            var r6 = mr == 8 ? Avx.LoadVector256(s + 6 * lda) * scale : Vector256<float>.Zero;
            var r7 = mr == 8 ? Avx.LoadVector256(s + 7 * lda) * scale : Vector256<float>.Zero;
            var t0 = Avx.UnpackLow(r0, r1);                        // a0 b0 a1 b1 | a4 b4 a5 b5
            var t1 = Avx.UnpackHigh(r0, r1);                       // a2 b2 a3 b3 | a6 b6 a7 b7
            var t2 = Avx.UnpackLow(r2, r3);
            var t3 = Avx.UnpackHigh(r2, r3);
            var t4 = Avx.UnpackLow(r4, r5);
            var t5 = Avx.UnpackHigh(r4, r5);
            var t6 = Avx.UnpackLow(r6, r7);
            var t7 = Avx.UnpackHigh(r6, r7);
            var q0 = Avx.Shuffle(t0, t2, 0x44);                    // a0 b0 c0 d0 | a4 b4 c4 d4
            var q1 = Avx.Shuffle(t0, t2, 0xEE);                    // a1 b1 c1 d1 | a5 b5 c5 d5
            var q2 = Avx.Shuffle(t1, t3, 0x44);                    // a2 .. d2 | a6 .. d6
            var q3 = Avx.Shuffle(t1, t3, 0xEE);                    // a3 .. d3 | a7 .. d7
            var q4 = Avx.Shuffle(t4, t6, 0x44);                    // e0 f0 g0 h0 | e4 f4 g4 h4
            var q5 = Avx.Shuffle(t4, t6, 0xEE);
            var q6 = Avx.Shuffle(t5, t7, 0x44);
            var q7 = Avx.Shuffle(t5, t7, 0xEE);
            Avx.Store(dst, Avx.Permute2x128(q0, q4, 0x20));           // column 0: a0 .. h0
            Avx.Store(dst + mr, Avx.Permute2x128(q1, q5, 0x20));
            Avx.Store(dst + 2 * mr, Avx.Permute2x128(q2, q6, 0x20));
            Avx.Store(dst + 3 * mr, Avx.Permute2x128(q3, q7, 0x20));
            Avx.Store(dst + 4 * mr, Avx.Permute2x128(q0, q4, 0x31));  // column 4: a4 .. h4
            Avx.Store(dst + 5 * mr, Avx.Permute2x128(q1, q5, 0x31));
            Avx.Store(dst + 6 * mr, Avx.Permute2x128(q2, q6, 0x31));
            Avx.Store(dst + 7 * mr, Avx.Permute2x128(q3, q7, 0x31));
        }
        for (; p < kc; p++, dst += mr)
            for (int r = 0; r < mr; r++) dst[r] = alpha * a[r * lda + p];
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
