// Packing of A into the micro-kernels' panels: every panel layout (Mr = 8, 6, 4) against the layout written out by
// hand, dst[panel][p][r] = alpha * op(A)[row, p] with the rows past the block zero. The 8-row panels of the AVX-512
// kernel go through an 8 x 8 register transpose, so the shapes cut it everywhere: kc not a multiple of 8, row strides
// (lda) larger than kc and smaller than it (the convolution's overlapping rows), blocks of rows that leave a partial
// last panel, and alphas of 1, -1 and others. The last two panels share out a short remainder: Mr + r rows with r < Mr / 2
// make panels of ceil((Mr + r) / 2) and floor((Mr + r) / 2) rows (the oracle below writes that rule out on its own).
using ElmoNative.Kernels.Gemm;
using FsCheck.Xunit;

namespace ElmoNative.Kernels.Tests;

public class PackingTests
{
    [Property(MaxTest = 80)]
    public void Packed_A_is_the_scaled_block_in_panel_order(int seed, byte mSeed, byte kSeed, byte ldaSeed, byte alphaSeed, bool transposed)
    {
        var random = new Random(seed);
        int mc = 1 + mSeed % 21, kc = 1 + kSeed % 45, i0 = random.Next(3), p0 = random.Next(4);
        float alpha = (alphaSeed % 4) switch { 0 => 1f, 1 => -1f, 2 => 0.37f, _ => random.NextSingle() * 4f - 2f };
        // Not transposed, A is rows of lda (at least 1, possibly fewer than kc: overlapping rows); transposed, A holds
        // p along rows, so its row stride must cover the rows of the block.
        int lda = transposed ? i0 + mc + ldaSeed % 5 : 1 + ldaSeed % 60;
        int sourceLength = transposed ? (p0 + kc) * lda : (i0 + mc - 1) * lda + p0 + kc;
        float[] a = TestData.Uniform(random, sourceLength, -3f, 3f);
        float Op(int i, int p) => transposed ? a[(p0 + p) * lda + i0 + i] : a[(i0 + i) * lda + p0 + p];

        Check<MicroKernel512>();
        Check<MicroKernel256>();
        Check<MicroKernelScalar>();

        void Check<TKernel>() where TKernel : IMicroKernel
        {
            int mr = TKernel.Mr, panels = (mc + mr - 1) / mr;
            // Rows per panel: Mr, then the remainder; a remainder below Mr / 2 after a full panel is shared out evenly.
            var heights = Enumerable.Repeat(mr, mc / mr).ToList();
            if (mc % mr != 0) heights.Add(mc % mr);
            if (heights.Count >= 2 && 2 * heights[^1] < mr)
            {
                int both = mr + heights[^1];
                heights[^2] = (both + 1) / 2;
                heights[^1] = both / 2;
            }
            Assert.Equal(panels, heights.Count);
            Assert.Equal(mc, heights.Sum());
            for (int panel = 0; panel < panels; panel++)
                Assert.Equal(heights[panel], Packing.PanelRows<TKernel>(mc, heights.Take(panel).Sum()));
            var packed = new float[panels * kc * mr + 1];
            packed[^1] = float.NaN; // a guard: nothing is written past the panels
            Packing.PackA<TKernel>(transposed ? Transpose.Yes : Transpose.No, a, lda, alpha, i0, mc, p0, kc, packed);
            for (int panel = 0; panel < panels; panel++)
                for (int p = 0; p < kc; p++)
                    for (int r = 0; r < mr; r++)
                    {
                        int row = heights.Take(panel).Sum() + r;
                        float expected = r < heights[panel] ? alpha * Op(row, p) : 0f;
                        float actual = packed[(panel * kc + p) * mr + r];
                        Assert.True(BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(actual),
                            $"Mr={mr} mc={mc} kc={kc} lda={lda} alpha={alpha} transposed={transposed}: panel {panel}, p={p}, r={r}: {actual}, expected {expected}");
                    }
            Assert.True(float.IsNaN(packed[^1]), $"Mr={mr}: written past the panels");
        }
    }
}
