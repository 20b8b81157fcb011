// The folded convolution + max over time against the naive convolution of the embedded ids (float64): random
// vocabularies, channels, banks (widths wider than the sequence, filter counts that are not a multiple of any vector),
// sequences whose padding tail is of any length (none, all); every variant and both ways of counting the padding
// windows give the same bits; two threads filling the responses at once give the bits of one.
using ElmoNative.Kernels.Reference;
using ElmoNative.Kernels.Simd;
using FsCheck.Xunit;

namespace ElmoNative.Kernels.Tests;

public class FoldedConvolutionTests
{
    private sealed record Case(float[] Embedding, int Vocabulary, int Channels, ConvolutionBank[] Banks, int Length, int PaddingId,
        int[] Ids, int Sequences, float[] Bias)
    {
        public int Filters => Banks.Sum(b => b.Filters);

        public FoldedConvolution Create() => new(Embedding, Vocabulary, Channels, Banks, Length, PaddingId);

        /// <summary>The naive convolution of the embedded ids, bank by bank, into [sequences, Filters + pad] rows.</summary>
        public float[] Expected(int ld)
        {
            var input = new float[Sequences * Length * Channels];
            for (int q = 0; q < Sequences * Length; q++) Embedding.AsSpan(Ids[q] * Channels, Channels).CopyTo(input.AsSpan(q * Channels));
            var expected = Enumerable.Repeat(7f, Sequences * ld).ToArray();
            int offset = 0;
            foreach (var bank in Banks)
            {
                var bankOut = new float[Sequences * bank.Filters];
                NaiveKernels.MaxOverTime(input, Sequences, Length, Channels, bank.Filter.Span, bank.Width, Bias.AsSpan(offset, bank.Filters), bankOut, bank.Filters);
                for (int s = 0; s < Sequences; s++) bankOut.AsSpan(s * bank.Filters, bank.Filters).CopyTo(expected.AsSpan(s * ld + offset));
                offset += bank.Filters;
            }
            return expected;
        }
    }

    private static Case RandomCase(int seed, int sequences, int length, int channels, int banks, int vocabulary)
    {
        var random = new Random(seed);
        var embedding = TestData.Uniform(random, vocabulary * channels, -1f, 1f);
        var bankList = Enumerable.Range(0, banks).Select(_ =>
        {
            int width = 1 + random.Next(8), filters = 1 + random.Next(70);
            return new ConvolutionBank(TestData.Uniform(random, width * channels * filters, -1f, 1f), width, filters);
        }).ToArray();
        int paddingId = random.Next(vocabulary);
        var ids = new int[sequences * length];
        for (int s = 0; s < sequences; s++)
        {
            // Heads of any length: none (padding only), short, or the whole sequence.
            int head = random.Next(4) == 0 ? random.Next(length + 1) : Math.Min(length, random.Next(9));
            for (int t = 0; t < length; t++) ids[s * length + t] = t < head ? random.Next(vocabulary) : paddingId;
        }
        var bias = TestData.Uniform(random, bankList.Sum(b => b.Filters), -1f, 1f);
        return new Case(embedding, vocabulary, channels, bankList, length, paddingId, ids, sequences, bias);
    }

    private static float[] Run(FoldedConvolution folded, Case c, SimdVariant variant, int ld, bool skipPadding)
    {
        var output = Enumerable.Repeat(7f, c.Sequences * ld).ToArray();
        folded.MaxOverTime(KernelSet.For(variant), c.Ids, c.Sequences, c.Bias, output, ld, skipPadding);
        return output;
    }

    [Property(MaxTest = 60)]
    public void MatchesTheNaiveConvolutionWithTheSameBitsEverywhere(byte sequencesRaw, byte lengthRaw, byte channelsRaw, byte banksRaw, byte vocabularyRaw, byte padRaw, int seed)
    {
        var c = RandomCase(seed, 1 + sequencesRaw % 9, 1 + lengthRaw % 50, 1 + channelsRaw % 16, 1 + banksRaw % 3, 1 + vocabularyRaw % 40);
        int ld = c.Filters + padRaw % 3;
        var expected = c.Expected(ld);
        using var folded = c.Create();
        float[]? first = null;
        foreach (SimdVariant variant in TestData.Variants)
        {
            foreach (bool skipPadding in new[] { true, false })
            {
                var actual = Run(folded, c, variant, ld, skipPadding);
                string context = $"{variant} skip={skipPadding} S={c.Sequences} L={c.Length} C={c.Channels} banks={string.Join(",", c.Banks.Select(b => $"{b.Width}x{b.Filters}"))}";
                // Values in [-1, 1]: a window sums width x channels products.
                TestData.AssertClose(expected, actual, 2e-6 * c.Channels * c.Banks.Max(b => b.Width), 1e-6, context);
                if (first is null) first = actual;
                else TestData.AssertBitIdentical(first, actual, context);
            }
        }
    }

    [Fact]
    public void TheResponsesOfAnIdAreComputedOnceWhenFirstSeen()
    {
        var c = RandomCase(5, 3, 20, 4, 2, 30);
        using var folded = c.Create();
        long perId = c.Banks.Sum(b => (long)b.Width * b.Filters) * sizeof(float);
        Assert.Equal(perId, folded.ResponseBytes); // the padding id only
        Run(folded, c, SimdVariant.Scalar, c.Filters, true);
        Assert.Equal(perId * c.Ids.Distinct().Count(), folded.ResponseBytes);
    }

    [Fact]
    public void TwoThreadsFillingTheResponsesAtOnceGetTheBitsOfOne()
    {
        var c = RandomCase(11, 200, 50, 16, 3, 250);
        float[] alone;
        using (var folded = c.Create()) alone = Run(folded, c, SimdVariant.Vector256, c.Filters, true);
        for (int round = 0; round < 5; round++)
        {
            using var shared = c.Create();
            var outputs = new float[2][];
            Parallel.For(0, 2, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i => outputs[i] = Run(shared, c, SimdVariant.Vector256, c.Filters, true));
            TestData.AssertBitIdentical(alone, outputs[0], $"round {round}, thread 0");
            TestData.AssertBitIdentical(alone, outputs[1], $"round {round}, thread 1");
        }
    }

    [Fact]
    public void BadIdsAndUseAfterDisposeAreRefused()
    {
        var c = RandomCase(3, 2, 10, 3, 1, 8);
        var folded = c.Create();
        var ids = (int[])c.Ids.Clone();
        ids[13] = 8;
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => folded.MaxOverTime(ids, 2, c.Bias, new float[2 * c.Filters], c.Filters));
        Assert.Contains("id 3 of sequence 1", error.Message);
        Assert.Throws<ArgumentException>(() => folded.MaxOverTime(c.Ids.AsSpan(0, 15), 2, c.Bias, new float[2 * c.Filters], c.Filters));
        folded.Dispose();
        Assert.Throws<ObjectDisposedException>(() => folded.MaxOverTime(c.Ids, 2, c.Bias, new float[2 * c.Filters], c.Filters));
        folded.Dispose();
    }
}
