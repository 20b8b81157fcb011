// AVX2+FMA micro-kernel: a 6 x 16 tile of C in 12 ymm accumulators (6 rows x 2 vectors of 8), which with
// two B vectors and one broadcast fits the 16 ymm registers of an AVX2 machine. Bottom-edge tiles of 1 to 5
// rows have their own kernels (the recurrent LSTM step has few rows, so edges are common there), all
// accumulating k in the same order (row results do not depend on M or on which kernel computed them).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ElmoNative.Kernels.Gemm;

/// <summary>The Vector256 6 x 16 micro-kernel.</summary>
internal readonly unsafe struct MicroKernel256 : IMicroKernel
{
    /// <inheritdoc/>
    public static int Mr => 6;

    /// <inheritdoc/>
    public static int Nr => 16;

    /// <inheritdoc/>
    public static GemmBlocking DefaultBlocking => new(Kc: 256, Mc: 96, Nc: 2048);

    /// <inheritdoc/>
    public static void Tile(int rows, nint kc, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        switch (rows)
        {
            case 6: Rows6(kc, a, b, c, ldc, accumulate); break;
            case 5: Rows5(kc, a, b, c, ldc, accumulate); break;
            case 4: Rows4(kc, a, b, c, ldc, accumulate); break;
            case 3: Rows3(kc, a, b, c, ldc, accumulate); break;
            case 2: Rows2(kc, a, b, c, ldc, accumulate); break;
            default: Rows1(kc, a, b, c, accumulate); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows6(nint kc, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        PrefetchRows(c, ldc, 6);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default, c50 = default, c51 = default;
        for (nint p = 0; p < kc; p++, a += 6, b += 16)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> av = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
            av = Vector256.Create(a[5]);
            c50 = Vector256.FusedMultiplyAdd(av, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(av, b1, c51);
        }
        StoreRow(c, c00, c01, accumulate);
        StoreRow(c + ldc, c10, c11, accumulate);
        StoreRow(c + 2 * ldc, c20, c21, accumulate);
        StoreRow(c + 3 * ldc, c30, c31, accumulate);
        StoreRow(c + 4 * ldc, c40, c41, accumulate);
        StoreRow(c + 5 * ldc, c50, c51, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows5(nint kc, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        PrefetchRows(c, ldc, 5);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector256<float> c40 = default, c41 = default;
        for (nint p = 0; p < kc; p++, a += 6, b += 16)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> av = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
            av = Vector256.Create(a[4]);
            c40 = Vector256.FusedMultiplyAdd(av, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(av, b1, c41);
        }
        StoreRow(c, c00, c01, accumulate);
        StoreRow(c + ldc, c10, c11, accumulate);
        StoreRow(c + 2 * ldc, c20, c21, accumulate);
        StoreRow(c + 3 * ldc, c30, c31, accumulate);
        StoreRow(c + 4 * ldc, c40, c41, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows4(nint kc, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        PrefetchRows(c, ldc, 4);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector256<float> c20 = default, c21 = default, c30 = default, c31 = default;
        for (nint p = 0; p < kc; p++, a += 6, b += 16)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> av = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
            av = Vector256.Create(a[3]);
            c30 = Vector256.FusedMultiplyAdd(av, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(av, b1, c31);
        }
        StoreRow(c, c00, c01, accumulate);
        StoreRow(c + ldc, c10, c11, accumulate);
        StoreRow(c + 2 * ldc, c20, c21, accumulate);
        StoreRow(c + 3 * ldc, c30, c31, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows3(nint kc, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        PrefetchRows(c, ldc, 3);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        for (nint p = 0; p < kc; p++, a += 6, b += 16)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> av = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
            av = Vector256.Create(a[2]);
            c20 = Vector256.FusedMultiplyAdd(av, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(av, b1, c21);
        }
        StoreRow(c, c00, c01, accumulate);
        StoreRow(c + ldc, c10, c11, accumulate);
        StoreRow(c + 2 * ldc, c20, c21, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows2(nint kc, float* a, float* b, float* c, nint ldc, bool accumulate)
    {
        PrefetchRows(c, ldc, 2);
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default;
        for (nint p = 0; p < kc; p++, a += 6, b += 16)
        {
            Vector256<float> b0 = Vector256.Load(b);
            Vector256<float> b1 = Vector256.Load(b + 8);
            Vector256<float> av = Vector256.Create(a[0]);
            c00 = Vector256.FusedMultiplyAdd(av, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(av, b1, c01);
            av = Vector256.Create(a[1]);
            c10 = Vector256.FusedMultiplyAdd(av, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(av, b1, c11);
        }
        StoreRow(c, c00, c01, accumulate);
        StoreRow(c + ldc, c10, c11, accumulate);
    }

    /// <summary>One row of the tile; a is that row of the packed panel (stride Mr = 6).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Rows1(nint kc, float* a, float* b, float* c, bool accumulate)
    {
        // One accumulator chain per vector, in the same k order as the full-height kernels, so that a row of C gets
        // the same bits whichever kernel computes it (results do not depend on the batch a row sits in). One row
        // streams B once per k step and is bound by memory bandwidth, not by the FMA latency.
        Vector256<float> c0 = default, c1 = default;
        for (nint p = 0; p < kc; p++, a += 6, b += 16)
        {
            Vector256<float> av = Vector256.Create(a[0]);
            c0 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b), c0);
            c1 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b + 8), c1);
        }
        StoreRow(c, c0, c1, accumulate);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// The two panels side by side, four accumulator chains: a GEMV (one row, B read once) streams two sequences of
    /// memory instead of one. On the Zen 3 of bench/README.md ("AVX2 on a Zen 3") one core streams 11-13 GB/s
    /// through <see cref="Rows1"/> panel after panel and 18-22 GB/s this way, as fast as OpenBLAS's sgemv. Each column
    /// sums k in the same order as <see cref="Rows1"/>, so the bits are the same.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TileRowPair(nint kc, float* a, float* b, nint panelStride, float* c, bool accumulate)
    {
        Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
        float* b2 = b + panelStride;
        for (nint p = 0; p < kc; p++, a += 6, b += 16, b2 += 16)
        {
            Vector256<float> av = Vector256.Create(a[0]);
            c0 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b), c0);
            c1 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b + 8), c1);
            c2 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b2), c2);
            c3 = Vector256.FusedMultiplyAdd(av, Vector256.Load(b2 + 8), c3);
        }
        StoreRow(c, c0, c1, accumulate);
        StoreRow(c + 16, c2, c3, accumulate);
    }

    /// <summary>Asks for the tile's rows of C before the k loop, so that they arrive while it runs (rows are ldc apart,
    /// often a multiple of 4 KB, which the hardware prefetcher does not follow).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchRows(float* c, nint ldc, int rows)
    {
        for (nint r = 0; r < rows; r++)
        {
            Sse.Prefetch0(c + r * ldc);
            Sse.Prefetch0(c + r * ldc + 15);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, Vector256<float> v0, Vector256<float> v1, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector256.Load(c);
            v1 += Vector256.Load(c + 8);
        }
        Vector256.Store(v0, c);
        Vector256.Store(v1, c + 8);
    }
}
