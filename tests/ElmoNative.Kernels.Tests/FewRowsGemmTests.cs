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
        int m = 1 + mSeed % 20, k = 1 + kSeed % 700, n = 1 + nSeed % 70;
        float beta = (betaSeed % 3) switch { 0 => 0f, 1 => 1f, _ => 0.5f };
        float[] a = TestData.Matrix(random, m, k, k), b = TestData.Matrix(random, k, n, n), c0 = TestData.Matrix(random, m, n, n);
        foreach (SimdVariant variant in TestData.Variants)
        {
            using var packed = PackedMatrix.Pack(variant, Transpose.No, b, k, n, n);
            float[] whole = (float[])c0.Clone(), blocked = (float[])c0.Clone();
            lock (Switch)
            {
                try
                {
                    Sgemm.Multiply(1, null, m, a, k, packed, beta, whole, n);
                    GemmDriverSettings.FewRowsPath = false;
                    Sgemm.Multiply(1, null, m, a, k, packed, beta, blocked, n);
                }
                finally
                {
                    GemmDriverSettings.FewRowsPath = true;
                }
            }
            string context = $"{variant} m={m} k={k} n={n} beta={beta}";
            TestData.AssertBitIdentical(blocked, whole, context);
            TestData.AssertGemmClose(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, beta, c0, whole, n, context);
        }
    }
}
