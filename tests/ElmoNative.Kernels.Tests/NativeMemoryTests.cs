// Native memory behind the packed weights and the workspaces: a packed matrix holds exactly the panel layout the
// micro-kernels read (checked element by element against the definition, for small and huge-page-sized matrices),
// disposing it makes every use fail cleanly, and a growing native buffer hands out zeroed, aligned memory.
using ElmoNative.Kernels.Gemm;
using ElmoNative.Kernels.Memory;
using FsCheck.Xunit;

namespace ElmoNative.Kernels.Tests;

public class NativeMemoryTests
{
    private static int Nr(SimdVariant variant) => KernelSet.For(variant).Nr;

    /// <summary>Panel j holds rows 0 .. Rows - 1 of columns j Nr .. j Nr + Nr - 1, k-major, zero past the last column.</summary>
    private static void AssertPanelLayout(PackedMatrix packed, float[] b, int rows, int columns, int nr, string context)
    {
        Assert.True(packed.IsAligned);
        int panels = (columns + nr - 1) / nr;
        Assert.Equal((long)panels * nr * rows * sizeof(float), packed.SizeInBytes);
        for (int j = 0; j < panels; j++)
            for (int p = 0; p < rows; p++)
                for (int c = 0; c < nr; c++)
                {
                    int column = j * nr + c;
                    float expected = column < columns ? b[p * columns + column] : 0f;
                    float actual = packed.PanelValues(((long)j * rows + p) * nr + c, 1)[0];
                    if (BitConverter.SingleToInt32Bits(expected) != BitConverter.SingleToInt32Bits(actual))
                        Assert.Fail($"{context}: panel {j}, row {p}, column {c}: {actual} instead of {expected}");
                }
    }

    [Property(MaxTest = 60)]
    public void Packed_panels_follow_the_layout(int seed, byte rowsSeed, byte columnsSeed)
    {
        var random = new Random(seed);
        int rows = rowsSeed % 40, columns = 1 + columnsSeed % 70;
        float[] b = TestData.Matrix(random, rows, columns, columns);
        foreach (SimdVariant variant in TestData.Variants)
        {
            using var packed = PackedMatrix.Pack(variant, Transpose.No, b, rows, columns, columns);
            AssertPanelLayout(packed, b, rows, columns, Nr(variant), $"{variant} {rows}x{columns}");
        }
    }

    [Fact]
    public void A_matrix_larger_than_a_huge_page_is_packed_whole_and_multiplies_correctly()
    {
        var random = new Random(11);
        int rows = 300, columns = 2500; // 3 MB: with ELMONATIVE_HUGE_PAGES=1, 2 MB aligned and advised for huge pages
        float[] b = TestData.Matrix(random, rows, columns, columns);
        using var packed = PackedMatrix.Pack(b, rows, columns, columns);
        AssertPanelLayout(packed, b, rows, columns, Nr(packed.Variant), "huge");
        int m = 7;
        float[] a = TestData.Matrix(random, m, rows, rows), c = TestData.NaNs(m * columns);
        Sgemm.Multiply(m, a, rows, packed, 0f, c, columns);
        TestData.AssertGemmClose(Transpose.No, Transpose.No, m, columns, rows, 1f, a, rows, b, columns, 0f, TestData.NaNs(m * columns), c, columns, "huge packed");
    }

    [Fact]
    public void Large_row_blocks_packed_on_several_threads_equal_the_whole_packing()
    {
        var random = new Random(12);
        int rows = 301, columns = 2_503; // blocks of 150 rows hold 375,000 values: split by panels over the threads
        float[] b = TestData.Matrix(random, rows, columns, columns);
        using var whole = PackedMatrix.Pack(b, rows, columns, columns);
        var builder = PackedMatrix.CreateBuilder(rows, columns);
        for (int r0 = 0; r0 < rows; r0 += 150)
        {
            int count = Math.Min(150, rows - r0);
            builder.AppendRows(b.AsSpan(r0 * columns, count * columns), count, columns);
        }
        using var blocks = builder.Build();
        long floats = whole.SizeInBytes / sizeof(float);
        Assert.True(whole.PanelValues(0, (int)floats).SequenceEqual(blocks.PanelValues(0, (int)floats)));
    }

    [Fact]
    public void A_disposed_matrix_cannot_be_used_and_disposing_twice_is_harmless()
    {
        var packed = PackedMatrix.Pack(new float[6], 2, 3, 3);
        packed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => Sgemm.Multiply(1, new float[2], 2, packed, 0f, new float[3], 3));
        packed.Dispose();
    }

    [Fact]
    public void A_native_buffer_grows_zeroed_and_aligned_and_refuses_use_after_dispose()
    {
        var buffer = new NativeBuffer<float>();
        Assert.Equal(0, buffer.Capacity);
        Assert.Equal(0, buffer.Get(0).Length);
        var first = buffer.Get(100);
        Assert.Equal(100, first.Length);
        Assert.All(first.ToArray(), v => Assert.Equal(0f, v));
        first.Fill(3f);
        Assert.Equal(3f, buffer.Get(50)[49]); // no growth: the contents stay
        Assert.Equal(100, buffer.Capacity);
        var grown = buffer.Get(1000);
        Assert.Equal(1000, buffer.Capacity);
        Assert.All(grown.ToArray(), v => Assert.Equal(0f, v)); // a new block, zeroed
        Assert.True(AlignedMemory.IsAligned(grown));
        buffer.Dispose();
        Assert.Equal(0, buffer.Capacity);
        Assert.Throws<ObjectDisposedException>(() => buffer.Get(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new NativeBuffer<int>().Get(-1));
        buffer.Dispose();
    }
}
