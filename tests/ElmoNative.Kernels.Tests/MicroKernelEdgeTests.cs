// The bottom-edge kernels of the micro-kernels (tiles of fewer than Mr rows, as in an LSTM step of a small batch):
// every row count from 1 to two full tiles and a bit, with column counts that cut right-edge tiles, match the naive
// product, and each row of C gets the same bits as that row computed alone (the edge kernels accumulate k in the
// order of the full tile). The 512-bit kernel is also checked directly: a tile of r rows equals the first r rows of
// the full 8-row tile, bit for bit.
using ElmoNative.Kernels.Gemm;

namespace ElmoNative.Kernels.Tests;

public class MicroKernelEdgeTests
{
    /// <summary>Column counts around one and two panels of every kernel (Nr = 4, 16, 32).</summary>
    private static readonly int[] Columns = [1, 5, 15, 16, 17, 31, 32, 33, 65];

    [Theory]
    [MemberData(nameof(TestData.VariantData), MemberType = typeof(TestData))]
    public void EveryRowRemainderMatchesReferenceAndRowsComputedAlone(string variantName)
    {
        SimdVariant variant = TestData.Variant(variantName);
        var random = new Random(17);
        const int k = 300; // crosses the Kc = 256 block: the second block accumulates
        foreach (int n in Columns)
        {
            float[] b = TestData.Matrix(random, k, n, n);
            using var packedB = PackedMatrix.Pack(variant, Transpose.No, b, k, n, n);
            for (int m = 1; m <= 17; m++)
            {
                float[] a = TestData.Matrix(random, m, k, k);
                float[] c0 = TestData.Matrix(random, m, n, n);
                foreach (float beta in new[] { 0f, 1f })
                {
                    foreach (bool packed in new[] { false, true })
                    {
                        float[] c = (float[])c0.Clone();
                        if (packed) Sgemm.Multiply(1, null, m, a, k, packedB, beta, c, n);
                        else Sgemm.Multiply(variant, 1, null, Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, beta, c, n);
                        string context = $"{variant} m={m} n={n} k={k} beta={beta} packed={packed}";
                        TestData.AssertGemmClose(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, beta, c0, c, n, context);
                        for (int row = 0; row < m; row++)
                        {
                            float[] single = c0.AsSpan(row * n, n).ToArray();
                            Sgemm.Multiply(1, null, 1, a.AsSpan(row * k, k), k, packedB, beta, single, n);
                            TestData.AssertBitIdentical(c.AsSpan(row * n, n), single, $"{context} row={row}");
                        }
                    }
                }
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Tiles512OfEveryRowCountEqualTheFullTile(bool accumulate)
    {
        int mr = MicroKernel512.Mr, nr = MicroKernel512.Nr;
        const int kc = 37, ldc = 40; // ldc > Nr: the columns between the tile and the next row must stay untouched
        var random = new Random(5);
        float[] a = TestData.Uniform(random, kc * mr, -1f, 1f);
        float[] b = TestData.Uniform(random, kc * nr, -1f, 1f);
        float[] c0 = TestData.Uniform(random, mr * ldc, -1f, 1f);
        float[] full = (float[])c0.Clone();
        MicroKernel512.Tile(mr, kc, a, b, full, ldc, accumulate);
        for (int rows = 1; rows <= mr; rows++)
        {
            float[] c = (float[])c0.Clone();
            MicroKernel512.Tile(rows, kc, a, b, c, ldc, accumulate);
            for (int r = 0; r < mr; r++)
            {
                // rows below the tile, and the columns right of it, keep their values
                float[] expected = r < rows ? full.AsSpan(r * ldc, nr).ToArray() : c0.AsSpan(r * ldc, nr).ToArray();
                TestData.AssertBitIdentical(expected, c.AsSpan(r * ldc, nr), $"rows={rows} r={r} accumulate={accumulate}");
                TestData.AssertBitIdentical(c0.AsSpan(r * ldc + nr, ldc - nr), c.AsSpan(r * ldc + nr, ldc - nr), $"rows={rows} r={r} padding");
                if (r < rows)
                {
                    for (int j = 0; j < nr; j++)
                    {
                        double sum = accumulate ? c0[r * ldc + j] : 0.0;
                        for (int p = 0; p < kc; p++) sum += (double)a[p * mr + r] * b[p * nr + j];
                        Assert.True(Math.Abs(c[r * ldc + j] - sum) <= 1e-4, $"rows={rows} C[{r},{j}] = {c[r * ldc + j]}, expected {sum}");
                    }
                }
            }
        }
    }
}
