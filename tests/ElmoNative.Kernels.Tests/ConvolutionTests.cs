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
}
