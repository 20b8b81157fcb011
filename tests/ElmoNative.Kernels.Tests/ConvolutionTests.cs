// Convolution + max over time against the naive reference: random sequence counts, lengths, channels,
// widths and filter counts (including length < width, one position, and chunks of many sequences),
// output written with a row stride into a wider row, packed and unpacked filters, every variant.
using ElmoNative.Kernels.Reference;
using FsCheck.Xunit;

namespace ElmoNative.Kernels.Tests;

public class ConvolutionTests
{
    private static void CheckCase(int seed, int sequences, int length, int channels, int width, int filters, int pad, int threads)
    {
        var random = new Random(seed);
        float[] input = TestData.Uniform(random, sequences * length * channels, -1f, 1f);
        float[] filter = TestData.Uniform(random, width * channels * filters, -1f, 1f);
        float[] bias = TestData.Uniform(random, filters, -1f, 1f);
        int ld = filters + pad;
        float[] expected = Enumerable.Repeat(7f, sequences * ld).ToArray();
        NaiveKernels.MaxOverTime(input, sequences, length, channels, filter, width, bias, expected, ld);
        double scale = width * channels;
        foreach (SimdVariant variant in TestData.Variants)
        {
            foreach (bool packed in new[] { false, true })
            {
                float[] actual = Enumerable.Repeat(7f, sequences * ld).ToArray();
                PackedMatrix? pf = packed ? PackedMatrix.Pack(variant, Transpose.No, filter, width * channels, filters, filters) : null;
                Convolution1D.MaxOverTime(variant, threads, input, sequences, length, channels, filter, pf, width, bias, actual, ld);
                TestData.AssertClose(expected, actual, 2e-6 * scale, 1e-6, $"{variant} packed={packed} S={sequences} L={length} C={channels} W={width} F={filters}");
            }
        }
    }

    [Property(MaxTest = 40)]
    public void MaxOverTimeMatchesReference(byte sequencesRaw, byte lengthRaw, byte channelsRaw, byte widthRaw, byte filtersRaw, byte padRaw, int seed)
        => CheckCase(seed, 1 + sequencesRaw % 9, 1 + lengthRaw % 20, 1 + channelsRaw % 8, 1 + widthRaw % 7, 1 + filtersRaw % 40, padRaw % 3, 1);

    [Theory]
    [InlineData(64, 50, 16, 7, 96, 2)]     // ELMo-like widths, many sequences, two threads
    [InlineData(300, 50, 4, 3, 80, 2)]     // more than one scratch chunk
    [InlineData(3, 5, 2, 5, 10, 1)]        // a single valid position
    public void LargerCasesMatchReference(int sequences, int length, int channels, int width, int filters, int threads)
        => CheckCase(sequences + length, sequences, length, channels, width, filters, 5, threads);

    [Fact]
    public void PublicEntryPointWritesIntoAWiderRow()
    {
        int sequences = 4, length = 9, channels = 3, width = 2, filters = 5, ld = 12;
        var random = new Random(2);
        float[] input = TestData.Uniform(random, sequences * length * channels, -1f, 1f);
        float[] filter = TestData.Uniform(random, width * channels * filters, -1f, 1f);
        float[] bias = TestData.Uniform(random, filters, -1f, 1f);
        float[] expected = new float[sequences * ld], actual = new float[sequences * ld], actualPacked = new float[sequences * ld];
        NaiveKernels.MaxOverTime(input, sequences, length, channels, filter, width, bias, expected, ld);
        Convolution1D.MaxOverTime(input, sequences, length, channels, filter, width, bias, actual, ld);
        Convolution1D.MaxOverTime(input, sequences, length, channels, PackedMatrix.Pack(filter, width * channels, filters, filters), width, bias, actualPacked, ld);
        TestData.AssertClose(expected, actual, 1e-5, 1e-6, "public");
        TestData.AssertClose(expected, actualPacked, 1e-5, 1e-6, "public packed");
    }

    /// <summary>
    /// The pad-aware convolution equals the plain one bit for bit: sequences whose tail repeats one padding vector,
    /// heads of any length (0 .. length, so also no padding and padding only), widths longer than the sequence, many
    /// sequences (several gathered chunks), one or two threads, the caller's scratch or the thread's.
    /// </summary>
    [Property(MaxTest = 60)]
    public void PadAwareEqualsPlainBitForBit(byte sequencesRaw, byte lengthRaw, byte channelsRaw, byte widthRaw, byte filtersRaw, bool twoThreads, bool many, bool ownScratch, int seed)
    {
        var random = new Random(seed);
        int sequences = many ? 200 + sequencesRaw : 1 + sequencesRaw % 9, length = 1 + lengthRaw % 50, channels = 1 + channelsRaw % 16;
        int width = 1 + widthRaw % 8, filters = 1 + filtersRaw % 70;
        float[] paddingVector = TestData.Uniform(random, channels, -1f, 1f);
        float[] input = TestData.Uniform(random, sequences * length * channels, -1f, 1f);
        int[] distinct = new int[sequences];
        for (int s = 0; s < sequences; s++)
        {
            distinct[s] = random.Next(4) == 0 ? random.Next(length + 1) : Math.Min(length, random.Next(8));
            for (int t = distinct[s]; t < length; t++) paddingVector.CopyTo(input, (s * length + t) * channels);
        }
        float[] filter = TestData.Uniform(random, width * channels * filters, -1f, 1f);
        float[] bias = TestData.Uniform(random, filters, -1f, 1f);
        int threads = twoThreads ? 2 : 1;
        foreach (SimdVariant variant in TestData.Variants)
        {
            var packed = PackedMatrix.Pack(variant, Transpose.No, filter, width * channels, filters, filters);
            float[] plain = new float[sequences * filters], padAware = new float[sequences * filters];
            Convolution1D.MaxOverTime(variant, threads, input, sequences, length, channels, default, packed, width, bias, plain, filters);
            float[] window = Enumerable.Range(0, width).SelectMany(_ => paddingVector).ToArray();
            float[] paddingWindow = new float[filters];
            Convolution1D.WindowSums(window, packed, paddingWindow);
            // The caller's scratch (what a workspace passes) or the thread's own: the same bits either way.
            using var scratch = ownScratch ? new ConvolutionScratch() : null;
            using (KernelSettings.LimitCurrentThread(threads))
                Convolution1D.MaxOverTimePadded(input, sequences, length, channels, distinct, packed, width, paddingWindow, bias, padAware, filters, scratch);
            TestData.AssertBitIdentical(plain, padAware, $"{variant} S={sequences} L={length} C={channels} W={width} F={filters}");
            if (scratch is not null && distinct.Any(d => d > 0) && length >= width)
                Assert.True(scratch.Windows.Capacity > 0 && scratch.Sums.Capacity > 0, "the caller's scratch was not used");
        }
    }
}
