// Random operands and tolerance checks shared by the kernel tests.
using ElmoNative.Kernels.Reference;

namespace ElmoNative.Kernels.Tests;

internal static class TestData
{
    /// <summary>
    /// Every SIMD variant this machine runs, plus <see cref="SimdVariant.Vector512"/> always: its kernels use only the
    /// portable <c>Vector512</c> API, which .NET carries out in software where AVX-512 is missing (slowly, with the same
    /// results), so the 512-bit code paths are checked on every machine, not only on AVX-512 ones.
    /// </summary>
    public static IReadOnlyList<SimdVariant> Variants { get; } =
        SimdDispatch.Supported.Contains(SimdVariant.Vector512) ? SimdDispatch.Supported : [.. SimdDispatch.Supported, SimdVariant.Vector512];

    /// <summary>The variant names, for [MemberData] (test methods must be public, the enum is internal).</summary>
    public static TheoryData<string> VariantData()
    {
        var data = new TheoryData<string>();
        foreach (var v in Variants) data.Add(v.ToString());
        return data;
    }

    public static SimdVariant Variant(string name) => Enum.Parse<SimdVariant>(name);

    /// <summary>A buffer of the given length filled with NaN, so that reads outside the logical matrix show.</summary>
    public static float[] NaNs(int length) => Enumerable.Repeat(float.NaN, length).ToArray();

    /// <summary>A [rows, columns] matrix with row stride ld, values uniform in [-1, 1), padding NaN.</summary>
    public static float[] Matrix(Random random, int rows, int columns, int ld)
    {
        var data = NaNs(rows == 0 ? 0 : (rows - 1) * ld + columns);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++) data[r * ld + c] = random.NextSingle() * 2f - 1f;
        return data;
    }

    public static float[] Uniform(Random random, int length, float low, float high)
    {
        var data = new float[length];
        for (int i = 0; i < length; i++) data[i] = low + random.NextSingle() * (high - low);
        return data;
    }

    /// <summary>
    /// Asserts that the fast product matches the naive one: |c - r| within a relative tolerance of the
    /// magnitude bound alpha * |A| |B| + |beta C| of each entry, and that the padding of C is untouched.
    /// </summary>
    public static void AssertGemmClose(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] cBefore, float[] actual, int ldc, string context)
    {
        var expected = (float[])cBefore.Clone();
        NaiveKernels.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
        var absA = a.Select(v => float.IsNaN(v) ? v : MathF.Abs(v)).ToArray();
        var absB = b.Select(v => float.IsNaN(v) ? v : MathF.Abs(v)).ToArray();
        var bound = new float[cBefore.Length];
        NaiveKernels.Sgemm(transA, transB, m, n, k, MathF.Abs(alpha), absA, lda, absB, ldb, 0f, bound, ldc);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                int at = i * ldc + j;
                float old = beta == 0f ? 0f : MathF.Abs(beta * cBefore[at]);
                double tolerance = 2e-6 * (bound[at] + old) + 1e-6;
                if (!(Math.Abs(actual[at] - expected[at]) <= tolerance))
                    Assert.Fail($"{context}: C[{i},{j}] = {actual[at]}, expected {expected[at]} (tolerance {tolerance:E2}).");
            }
            if (i + 1 < m)
            {
                for (int j = n; j < ldc; j++)
                {
                    int at = i * ldc + j;
                    if (BitConverter.SingleToInt32Bits(actual[at]) != BitConverter.SingleToInt32Bits(cBefore[at]))
                        Assert.Fail($"{context}: padding C[{i},{j}] was written.");
                }
            }
        }
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double absolute, double relative, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double tolerance = absolute + relative * Math.Abs(expected[i]);
            if (!(Math.Abs(expected[i] - actual[i]) <= tolerance) && !(float.IsNaN(expected[i]) && float.IsNaN(actual[i])) && expected[i] != actual[i])
                Assert.Fail($"{context}: [{i}] = {actual[i]}, expected {expected[i]} (tolerance {tolerance:E2}).");
        }
    }

    public static void AssertBitIdentical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{context}: [{i}] = {actual[i]}, expected bit-identical {expected[i]}.");
        }
    }
}
