// SGEMM against the naive reference: random shapes (odd sizes exercising every vector and panel
// remainder), all transposes, alpha/beta cases, padded strides, overlapping A rows, prepacked B, tiny
// block sizes that force many cache-block boundaries, large shapes crossing the real block sizes, and
// bit-identical results between one and two threads. Every case runs on every SIMD variant.
using ElmoNative.Kernels.Gemm;
using FsCheck.Xunit;

namespace ElmoNative.Kernels.Tests;

public class SgemmTests
{
    private static readonly GemmBlocking TinyBlocks = new(Kc: 7, Mc: 16, Nc: 64);

    private static void CheckCase(int seed, int m, int n, int k, Transpose transA, Transpose transB, float alpha, float beta,
        int padA, int padB, int padC, bool tinyBlocks, bool packed, int threads = 1)
    {
        var random = new Random(seed);
        int lda = (transA == Transpose.No ? k : m) + padA;
        int ldb = (transB == Transpose.No ? n : k) + padB;
        int ldc = n + padC;
        float[] a = TestData.Matrix(random, transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, lda);
        float[] b = TestData.Matrix(random, transB == Transpose.No ? k : n, transB == Transpose.No ? n : k, ldb);
        float[] cBefore = beta == 0f ? TestData.NaNs((m - 1) * ldc + n) : TestData.Matrix(random, m, n, ldc);
        GemmBlocking? blocking = tinyBlocks ? TinyBlocks : null;
        foreach (SimdVariant variant in TestData.Variants)
        {
            float[] c = (float[])cBefore.Clone();
            string context = $"{variant} m={m} n={n} k={k} {transA}/{transB} alpha={alpha} beta={beta} pads={padA},{padB},{padC} tiny={tinyBlocks} packed={packed} threads={threads}";
            if (packed)
            {
                var pb = PackedMatrix.Pack(variant, transB, b, k, n, ldb);
                Sgemm.Multiply(threads, blocking, transA, m, alpha, a, lda, pb, beta, c, ldc);
            }
            else
            {
                Sgemm.Multiply(variant, threads, blocking, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            }
            TestData.AssertGemmClose(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, cBefore, c, ldc, context);
        }
    }

    [Property(MaxTest = 150)]
    public void MatchesReferenceOnRandomShapes(byte mRaw, byte nRaw, byte kRaw, bool transA, bool transB, byte betaRaw,
        byte padRaw, bool tinyBlocks, bool packed, int seed)
    {
        int m = 1 + mRaw % 70, n = 1 + nRaw % 70, k = 1 + kRaw % 70;
        float beta = (betaRaw % 3) switch { 0 => 0f, 1 => 1f, _ => -0.75f };
        float alpha = betaRaw % 5 == 4 ? 1.5f : 1f;
        CheckCase(seed, m, n, k, transA ? Transpose.Yes : Transpose.No, transB ? Transpose.Yes : Transpose.No,
            alpha, beta, padRaw % 3, padRaw / 3 % 3, padRaw / 9 % 5, tinyBlocks, packed);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(1, 16384 / 64, 512 / 8)]
    [InlineData(3, 33, 5)]
    [InlineData(8, 32, 1)]
    [InlineData(9, 31, 2)]
    [InlineData(7, 65, 130)]
    public void SmallMatrixShapesMatchReference(int m, int n, int k)
    {
        foreach (var transA in new[] { Transpose.No, Transpose.Yes })
            foreach (var transB in new[] { Transpose.No, Transpose.Yes })
                foreach (float beta in new[] { 0f, 1f })
                    foreach (bool packed in new[] { false, true })
                        CheckCase(m * 1000 + n, m, n, k, transA, transB, 1f, beta, 1, 2, 3, tinyBlocks: false, packed);
    }

    [Theory]
    [InlineData(300, 700, 520, false)]
    [InlineData(300, 700, 520, true)]
    [InlineData(33, 1030, 600, true)]
    [InlineData(140, 70, 1100, false)]
    public void LargeShapesCrossingCacheBlocksMatchReference(int m, int n, int k, bool packed)
        => CheckCase(m + n + k, m, n, k, Transpose.No, Transpose.No, 1f, 1f, 0, 3, 1, tinyBlocks: false, packed, threads: 2);

    [Theory]
    [InlineData(257, 300, 130, Transpose.Yes, Transpose.Yes)]
    [InlineData(100, 530, 300, Transpose.No, Transpose.Yes)]
    [InlineData(130, 260, 300, Transpose.Yes, Transpose.No)]
    public void LargeTransposedShapesMatchReference(int m, int n, int k, Transpose transA, Transpose transB)
        => CheckCase(m * n, m, n, k, transA, transB, -1f, 0f, 2, 0, 0, tinyBlocks: false, packed: false, threads: 2);

    [Property(MaxTest = 60)]
    public void OverlappingRowsOfAMatchReference(byte rowsRaw, byte channelsRaw, byte widthRaw, byte nRaw, bool tinyBlocks, bool packed, int seed)
    {
        // The convolution layout: row t of A starts at t * channels and is width * channels long.
        int m = 1 + rowsRaw % 60, channels = 1 + channelsRaw % 9, width = 1 + widthRaw % 7, n = 1 + nRaw % 40;
        int k = width * channels;
        var random = new Random(seed);
        float[] a = TestData.Uniform(random, (m - 1) * channels + k, -1f, 1f);
        float[] b = TestData.Matrix(random, k, n, n);
        float[] cBefore = TestData.NaNs(m * n);
        foreach (SimdVariant variant in TestData.Variants)
        {
            float[] c = (float[])cBefore.Clone();
            if (packed)
                Sgemm.Multiply(1, tinyBlocks ? TinyBlocks : null, m, a, channels, PackedMatrix.Pack(variant, Transpose.No, b, k, n, n), 0f, c, n);
            else
                Sgemm.Multiply(variant, 1, tinyBlocks ? TinyBlocks : null, Transpose.No, Transpose.No, m, n, k, 1f, a, channels, b, n, 0f, c, n);
            TestData.AssertGemmClose(Transpose.No, Transpose.No, m, n, k, 1f, a, channels, b, n, 0f, cBefore, c, n, $"{variant} overlapping m={m} channels={channels} width={width} n={n}");
        }
    }

    [Theory]
    [InlineData(32, 4100, 300, false)]   // wide: split over columns
    [InlineData(32, 4100, 300, true)]
    [InlineData(1001, 40, 200, false)]   // tall: split over rows
    [InlineData(1001, 40, 200, true)]
    [InlineData(6, 2000, 777, true)]
    public void TwoThreadsGiveBitIdenticalResults(int m, int n, int k, bool packed)
    {
        var random = new Random(m + n);
        float[] a = TestData.Matrix(random, m, k, k);
        float[] b = TestData.Matrix(random, k, n, n);
        foreach (SimdVariant variant in TestData.Variants)
        {
            float[] one = new float[m * n], two = new float[m * n];
            if (packed)
            {
                var pb = PackedMatrix.Pack(variant, Transpose.No, b, k, n, n);
                Sgemm.Multiply(1, null, m, a, k, pb, 0f, one, n);
                Sgemm.Multiply(2, null, m, a, k, pb, 0f, two, n);
            }
            else
            {
                Sgemm.Multiply(variant, 1, null, Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, one, n);
                Sgemm.Multiply(variant, 2, null, Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, two, n);
            }
            TestData.AssertBitIdentical(one, two, $"{variant} m={m} n={n} k={k} packed={packed}");
        }
    }

    /// <summary>
    /// Batch invariance: a row of C gets the same bits whatever the other rows are and however many there are
    /// (every edge kernel accumulates k in the same order as the full tile). The model relies on this for stateless
    /// results that do not depend on the batch a sentence sits in.
    /// </summary>
    [Property(MaxTest = 60)]
    public void EachRowIsBitIdenticalWhateverTheRowCount(byte mRaw, byte nRaw, byte kRaw, byte rowRaw, bool packed, bool accumulate, int seed)
    {
        int m = 1 + mRaw % 40, n = 1 + nRaw % 80, k = 1 + kRaw % 300;
        int row = rowRaw % m;
        var random = new Random(seed);
        float[] a = TestData.Matrix(random, m, k, k);
        float[] b = TestData.Matrix(random, k, n, n);
        float[] c0 = TestData.Matrix(random, m, n, n);
        float beta = accumulate ? 1f : 0f;
        foreach (SimdVariant variant in TestData.Variants)
        {
            float[] all = (float[])c0.Clone(), single = c0.AsSpan(row * n, n).ToArray();
            var rowOfA = a.AsSpan(row * k, k);
            if (packed)
            {
                var pb = PackedMatrix.Pack(variant, Transpose.No, b, k, n, n);
                Sgemm.Multiply(2, null, m, a, k, pb, beta, all, n);
                Sgemm.Multiply(1, null, 1, rowOfA, k, pb, beta, single, n);
            }
            else
            {
                Sgemm.Multiply(variant, 2, null, Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, beta, all, n);
                Sgemm.Multiply(variant, 1, null, Transpose.No, Transpose.No, 1, n, k, 1f, rowOfA, k, b, n, beta, single, n);
            }
            TestData.AssertBitIdentical(all.AsSpan(row * n, n), single, $"{variant} m={m} n={n} k={k} row={row} packed={packed} beta={beta}");
        }
    }

    [Fact]
    public void PublicEntryPointsMatchReference()
    {
        var random = new Random(5);
        int m = 37, n = 45, k = 29;
        float[] a = TestData.Matrix(random, m, k, k), b = TestData.Matrix(random, k, n, n);
        float[] c = TestData.NaNs(m * n), cp = TestData.NaNs(m * n), before = TestData.NaNs(m * n);
        Sgemm.Multiply(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, c, n);
        var packed = PackedMatrix.Pack(b, k, n, n);
        Assert.Equal(k, packed.Rows);
        Assert.Equal(n, packed.Columns);
        Sgemm.Multiply(m, a, k, packed, 0f, cp, n);
        TestData.AssertGemmClose(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, before, c, n, "public");
        TestData.AssertGemmClose(Transpose.No, Transpose.No, m, n, k, 1f, a, k, b, n, 0f, before, cp, n, "public packed");
    }

    [Fact]
    public void ZeroSizedAndZeroAlphaProductsOnlyScaleC()
    {
        float[] c = [1f, 2f, 3f, 4f];
        Sgemm.Multiply(Transpose.No, Transpose.No, 2, 2, 0, 1f, [], 0, [], 2, 0.5f, c, 2);
        Assert.Equal([0.5f, 1f, 1.5f, 2f], c);
        Sgemm.Multiply(Transpose.No, Transpose.No, 2, 2, 1, 0f, [1f, 1f], 1, [1f, 1f], 2, 0f, c, 2);
        Assert.Equal([0f, 0f, 0f, 0f], c);
        Sgemm.Multiply(Transpose.No, Transpose.No, 0, 2, 3, 1f, [], 3, new float[6], 2, 0f, [], 2);
    }

    [Fact]
    public void ShortOperandsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(Transpose.No, Transpose.No, 2, 2, 2, 1f, new float[3], 2, new float[4], 2, 0f, new float[4], 2));
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(Transpose.No, Transpose.No, 2, 2, 2, 1f, new float[4], 2, new float[3], 2, 0f, new float[4], 2));
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(Transpose.No, Transpose.No, 2, 2, 2, 1f, new float[4], 2, new float[4], 2, 0f, new float[3], 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Sgemm.Multiply(Transpose.No, Transpose.No, 2, 2, 2, 1f, new float[4], 2, new float[4], 2, 0f, new float[4], 1));
        var packed = PackedMatrix.Pack(new float[6], 2, 3, 3);
        Assert.Throws<ArgumentException>(() => Sgemm.Multiply(2, new float[3], 2, packed, 0f, new float[6], 3));
    }
}
