// Prepacked products with few rows (an LSTM step) stream each B panel whole instead of in Kc blocks a panel apart;
// each element of C still gets the same K blocks in the same order, so both loop orders give the same bits, and the
// result matches the naive product. Shapes cross the Kc = 256 block boundary and cut edge tiles in both directions.
using ElmoNative.Kernels.Gemm;
using FsCheck.Xunit;

namespace ElmoNative.Kernels.Tests;

public class FewRowsGemmTests
{
    private static readonly object Switch = new(); // the loop-order switch is global: one test flips it at a time

    [Property(MaxTest = 60)]
    public void Whole_panels_give_the_bits_of_the_general_loop_order(int seed, byte mSeed, ushort kSeed, byte nSeed, byte betaSeed)
    {
        var random = new Random(seed);
        AssertFewRowsPathMatchesGeneralOrder(random, 1 + mSeed % 20, 1 + kSeed % 700, 1 + nSeed % 70, Beta(betaSeed));
    }

    /// <summary>
    /// One row (a GEMV) reads the full panels two at a time (TileRowPair) and the rest one at a time; the bits are those
    /// of the general loop order, which takes one panel at a time, for widths that leave 0, 1 or a partial panel over.
    /// </summary>
    [Property(MaxTest = 40)]
    public void One_row_over_panel_pairs_gives_the_bits_of_one_panel_at_a_time(int seed, ushort kSeed, byte nSeed, byte betaSeed)
    {
        var random = new Random(seed);
        AssertFewRowsPathMatchesGeneralOrder(random, 1, 1 + kSeed % 700, 1 + nSeed % 160, Beta(betaSeed));
    }

    private static float Beta(byte seed) => (seed % 3) switch { 0 => 0f, 1 => 1f, _ => 0.5f };

    /// <summary>
    /// On every variant: the prepacked product of m rows by the few-rows path (whole panels) equals the general loop
    /// order bit for bit, and the naive product within tolerance.
    /// </summary>
    private static void AssertFewRowsPathMatchesGeneralOrder(Random random, int m, int k, int n, float beta)
    {
        float[] a = TestData.Matrix(random, m, k, k), b = TestData.Matrix(random, k, n, n), c0 = TestData.Matrix(random, m, n, n);
        foreach (SimdVariant variant in TestData.Variants)
        {
            using var packed = PackedMatrix.Pack(variant, Transpose.No, b, k, n, n);
            float[] whole = (float[])c0.Clone(), general = (float[])c0.Clone();
            lock (Switch)
            {
                try
                {
                    Sgemm.Multiply(1, null, m, a, k, packed, beta, whole, n);
                    GemmDriverSettings.FewRowsPath = false;
                    Sgemm.Multiply(1, null, m, a, k, packed, beta, general, n);
                }
                finally
                {
                    GemmDriverSettings.FewRowsPath = true;
                }
            }
            string context = $"{variant} m={m} k={k} n={n} beta={beta}";
            TestData.AssertBitIdentical(general, whole, context);
            TestData.AssertGemmClose(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, beta, c0, whole, n, context);
        }
    }
}
