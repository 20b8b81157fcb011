using ElmoNative.Checkpoints;
using ElmoNative.Tests.Reference;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ElmoNative.Tests;

/// <summary>
/// The fast token path (pad-aware character convolution, LRU cache of token representations, preloaded vocabulary)
/// against the plain path (full convolution over all W positions, no cache): the vectors must be the same BIT FOR BIT,
/// in every layer, whatever was embedded before and whatever other callers do at the same time.
/// </summary>
public class TokenCacheTests
{
    /// <summary>Full convolution, no cache: the oracle.</summary>
    private static readonly Lazy<ElmoModel> plain = new(() =>
    {
        var m = ElmoModel.FromCheckpoint(SharedModels.Tiny);
        m.BiLm.Encoder.Cnn.PadAware = false;
        m.TokenCacheCapacity = 0;
        return m;
    });

    private static ElmoModel Fast(int capacity)
    {
        var m = ElmoModel.FromCheckpoint(SharedModels.Tiny);
        m.TokenCacheCapacity = capacity;
        return m;
    }

    private static IReadOnlyList<string>[] Batch(Random random, int sentences) =>
        Enumerable.Range(0, sentences).Select(_ => (IReadOnlyList<string>)TestSentences.RandomSentence(random, random.Next(0, 25))).ToArray();

    private static void AssertSameBatch(ElmoBatchOutput expected, ElmoBatchOutput actual, string context)
    {
        Assert.Equal(expected.Activations.Length, actual.Activations.Length);
        Assert.True(Compare.BitIdentical(expected.Activations, actual.Activations), context);
    }

    [Fact]
    public void TheDefaultModelIsPadAwareWithTheCacheOn()
    {
        using var model = ElmoModel.FromCheckpoint(SharedModels.Tiny);
        Assert.True(model.BiLm.Encoder.Cnn.PadAware);
        Assert.True(model.TokenCacheCapacity > 0);
    }

    [Theory]
    [InlineData(ModelPreset.Original, 7_000, 0.2, 0.3)]
    [InlineData(ModelPreset.Medium, 18_000, 0.4, 0.6)]
    [InlineData(ModelPreset.Small, 29_000, 1.5, 2.0)]
    public void TheDefaultCapacityFillsItsShareOfTheBytesWhateverTheWidth(ModelPreset preset, int expected, double missShareFrom, double missShareTo)
    {
        var options = RandomCheckpoint.Options(preset);
        int capacity = ElmoNative.Layers.BiLm.DefaultCacheCapacityFor(options);
        Assert.Equal(expected, capacity);
        // A miss costs the encoder's GEMMs: a quarter of original's LSTM work per token, half of medium's, more than small's.
        double missShare = ElmoNative.Layers.BiLm.MissShare(options);
        Assert.InRange(missShare, missShareFrom, missShareTo);
        double budget = ElmoModel.DefaultTokenCacheBytes * Math.Min(1, missShare / ElmoNative.Layers.BiLm.FullCacheMissShare);
        long entry = 4L * options.ProjectionDim + 4L * options.MaxCharactersPerToken;
        Assert.InRange(capacity * entry, budget * 3 / 4, budget);
        if (preset == ModelPreset.Original) Assert.Equal(ElmoModel.DefaultTokenCacheCapacity, capacity); // the documented constant
    }

    [Fact]
    public void ALoadedModelTakesTheCapacityOfItsWidth()
    {
        using var model = ElmoModel.FromCheckpoint(SharedModels.Tiny);
        Assert.Equal(ElmoNative.Layers.BiLm.DefaultCacheCapacityFor(model.Options), model.TokenCacheCapacity);
        Assert.True(model.TokenCacheCapacity >= ElmoModel.DefaultTokenCacheCapacity, "a model narrower than 512 keeps at least as many tokens as original");
    }

    [Property(MaxTest = 25)]
    public Property PadAwareAndCachedEqualPlain() => Prop.ForAll(
        Gen.Choose(0, int.MaxValue).ToArbitrary(), Gen.Choose(0, 40).ToArbitrary(), (seed, capacity) =>
    {
        var random = new Random(seed);
        using var fast = Fast(capacity);
        // Several batches, so that later ones hit (and, with a small capacity, evict) what earlier ones cached.
        for (int round = 0; round < 4; round++)
        {
            var batch = Batch(random, 1 + random.Next(6));
            AssertSameBatch(plain.Value.Embed(batch), fast.Embed(batch), $"seed {seed}, capacity {capacity}, round {round}");
            var tokens = batch.SelectMany(s => s).ToArray();
            Assert.True(Compare.BitIdentical(plain.Value.EmbedTokens(tokens), fast.EmbedTokens(tokens)), "EmbedTokens");
        }
        Assert.True(fast.TokenCacheStatistics.Count <= capacity);
    });

    [Fact]
    public void PadAwareAloneEqualsPlainOnTrickyTokens()
    {
        using var padAwareOnly = Fast(0);
        // One token per length 0 .. W + 5 bytes, plus the multi-byte and boundary cases.
        var tokens = TestSentences.Tricky.Concat(Enumerable.Range(1, 55).Select(n => new string('q', n))).ToArray();
        Assert.True(Compare.BitIdentical(plain.Value.EmbedTokens(tokens), padAwareOnly.EmbedTokens(tokens)));
        Assert.Equal(0, padAwareOnly.TokenCacheStatistics.Hits + padAwareOnly.TokenCacheStatistics.Misses);
    }

    [Fact]
    public void CountsHitsAndMissesAndEvictsTheLeastRecentlyUsed()
    {
        using var model = Fast(2);
        model.EmbedTokens(["a", "b", "a"]);          // all three looked up before any insertion: 3 misses; a, b cached
        Assert.Equal(new TokenCacheStatistics(0, 3, 2, 2, 0), model.TokenCacheStatistics);
        model.EmbedTokens(["a"]);                    // hit; a is now the most recent
        model.EmbedTokens(["c"]);                    // miss; evicts b
        model.EmbedTokens(["a", "b"]);               // a hits, b misses (evicts c)
        var stats = model.TokenCacheStatistics;
        Assert.Equal(2, stats.Hits);
        Assert.Equal(5, stats.Misses);
        Assert.Equal(2, stats.Count);
        Assert.Equal(2.0 / 7, stats.HitRate, 12);
        model.EmbedTokens(["c"]);
        Assert.Equal(6, model.TokenCacheStatistics.Misses);
    }

    [Fact]
    public void TokensWithTheSameCharacterIdsShareAnEntry()
    {
        using var model = Fast(10);
        // Both are cut to the same first W - 2 = 48 bytes, so they have the same ids (and the same vector).
        string a = new string('x', 48) + "tail-one", b = new string('x', 48) + "another-tail";
        var va = model.EmbedTokens([a]);
        var vb = model.EmbedTokens([b]);
        Assert.True(Compare.BitIdentical(va, vb));
        Assert.Equal(1, model.TokenCacheStatistics.Hits);
        Assert.Equal(1, model.TokenCacheStatistics.Count);
    }

    [Fact]
    public void PreloadedVocabularyIsNeverEvictedAndUnknownTokensFallBackToTheCnn()
    {
        using var model = Fast(0); // no LRU part: only the vocabulary can hit
        model.PreloadVocabulary(["the", "cat", "café", "the"]);
        Assert.Equal(3, model.TokenCacheStatistics.Preloaded);
        IReadOnlyList<string>[] batch = [["the", "cat", "sat", "on", "the", "mat"], ["café", "au", "lait"]];
        AssertSameBatch(plain.Value.Embed(batch), model.Embed(batch), "preloaded");
        var stats = model.TokenCacheStatistics;
        // Each distinct token of a batch is looked up once: the, cat, café hit; sat, on, mat, au, lait miss.
        Assert.Equal(3, stats.Hits);
        Assert.Equal(5, stats.Misses);
        Assert.Equal(0, stats.Count);
    }

    [Fact]
    public void ConcurrentCallersGetTheSameVectorsAsAlone()
    {
        var random = new Random(11);
        var batches = Enumerable.Range(0, 12).Select(_ => Batch(random, 1 + random.Next(8))).ToArray();
        var expected = batches.Select(b => plain.Value.Embed(b)).ToArray();
        using var model = Fast(16); // small, so that callers evict each other's entries while they run
        var errors = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, 4).Select(t => new Thread(() =>
        {
            for (int i = 0; i < 24; i++)
            {
                int k = (i * 5 + t * 3) % batches.Length;
                if (i % 3 == 2)
                {
                    var tokens = batches[k].SelectMany(s => s).ToArray();
                    if (!Compare.BitIdentical(plain.Value.EmbedTokens(tokens), model.EmbedTokens(tokens))) errors.Add($"thread {t}: tokens of batch {k}");
                }
                else if (!Compare.BitIdentical(expected[k].Activations, model.Embed(batches[k]).Activations)) errors.Add($"thread {t}: batch {k}");
            }
        })).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) thread.Join();
        Assert.Empty(errors);
        var stats = model.TokenCacheStatistics;
        Assert.True(stats.Hits > 0 && stats.Misses > 0, $"{stats}");
    }

    [Fact]
    public void TouchCountsNothingAndAnEntryAddedAheadCountsItsFirstLookupAsTheMissItReplaced()
    {
        var cache = new TokenCache(width: 3, dim: 2, capacity: 4);
        int[] ids = [1, 2, 3, 4, 5, 6];
        cache.Add(ids.AsSpan(0, 3), 1, [1f, 2f]);
        var missing = new int[2];
        Assert.Equal(1, cache.Touch(ids, 2, missing));
        Assert.Equal(1, missing[0]);
        Assert.Equal(new TokenCacheStatistics(0, 0, 1, 4, 0), cache.Statistics);

        cache.AddAhead(ids.AsSpan(3, 3), 1, [3f, 4f]);
        var output = new float[4];
        Assert.Equal(0, cache.Lookup(ids, 2, output, missing));
        Assert.Equal([1f, 2f, 3f, 4f], output);
        Assert.Equal(new TokenCacheStatistics(1, 1, 2, 4, 0), cache.Statistics); // the entry added ahead: its miss
        Assert.Equal(0, cache.Lookup(ids, 2, output, missing));
        Assert.Equal(new TokenCacheStatistics(3, 1, 2, 4, 0), cache.Statistics); // then hits like any other
    }

    [Fact]
    public void TouchMakesAnEntryTheMostRecent()
    {
        var cache = new TokenCache(width: 1, dim: 1, capacity: 2);
        cache.Add([1], 1, [10f]);
        cache.Add([2], 1, [20f]); // 2 is now the most recent, 1 the least
        Assert.Equal(0, cache.Touch([1], 1, new int[1]));
        cache.Add([3], 1, [30f]); // evicts 2, not the touched 1
        var missing = new int[2];
        Assert.Equal(1, cache.Lookup([1, 2], 2, new float[2], missing));
        Assert.Equal(1, missing[0]);
    }

    [Property(MaxTest = 20)]
    public Property EncodingAheadChangesNoBitsAndNoCounts() => Prop.ForAll(
        Gen.Choose(0, int.MaxValue).ToArbitrary(), Gen.Elements(0, 7, 40, 10_000).ToArbitrary(), (seed, capacity) =>
    {
        var random = new Random(seed);
        var batches = Enumerable.Range(0, 4).Select(_ => Batch(random, 1 + random.Next(6))).ToArray();
        using var ahead = Fast(capacity);
        using var alone = Fast(capacity);
        ahead.EncodeTokensAhead(batches.SelectMany(b => b));
        for (int i = 0; i < batches.Length; i++)
            AssertSameBatch(alone.Embed(batches[i]), ahead.Embed(batches[i]), $"seed {seed}, capacity {capacity}, batch {i}");
        // With room for every token nothing is evicted, and the counters are those of the text alone.
        int distinct = batches.SelectMany(b => b).SelectMany(s => s).Distinct(StringComparer.Ordinal).Count();
        if (capacity >= 2 * distinct) Assert.Equal(alone.TokenCacheStatistics, ahead.TokenCacheStatistics);
    });

    [Fact]
    public void EncodingAheadStopsAtTheCapacityAndEvictsNoneOfItsOwnTokens()
    {
        using var model = Fast(40);
        model.EmbedTokens(["w0", "w1", "old"]); // cached before: w0 and w1 are touched, not encoded again
        model.EncodeTokensAhead([Enumerable.Range(0, 300).Select(i => $"w{i}").ToArray()]);
        var stats = model.TokenCacheStatistics;
        Assert.Equal(40, stats.Count);
        Assert.Equal(3, stats.Hits + stats.Misses); // the three lookups before; encoding ahead counts none
        // The first 40 distinct tokens are all cached ("old" was evicted); their first lookups count as misses, except
        // w0 and w1, which were cached before.
        model.EmbedTokens(Enumerable.Range(0, 40).Select(i => $"w{i}").ToArray());
        stats = model.TokenCacheStatistics;
        Assert.Equal(2, stats.Hits);
        Assert.Equal(3 + 38, stats.Misses);
        Assert.Equal(40, stats.Count);
        model.EmbedTokens(["old"]);
        Assert.Equal(3 + 38 + 1, model.TokenCacheStatistics.Misses);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    [InlineData(700)]
    public void TwoWorkersEncodeTheBitsOfOneCall(int count)
    {
        using var model = Fast(0);
        var encoder = model.BiLm.Encoder;
        int w = encoder.CharsPerToken, p = encoder.OutputDim;
        var random = new Random(count);
        var ids = new int[count * w];
        for (int t = 0; t < count; t++)
        {
            var token = TestSentences.RandomSentence(random, 1)[0] + t.ToString(System.Globalization.CultureInfo.InvariantCulture);
            ElmoNative.Text.CharacterIds.Map(token, ids.AsSpan(t * w, w));
        }
        var expected = new float[count * p];
        using (var single = new InferenceWorkspace())
        using (ElmoNative.Kernels.KernelSettings.LimitCurrentThread(1))
            encoder.Encode(ids, count, single, expected);

        using var ws = new BiLmWorkspace();
        ids.CopyTo(ws.MissingCharIds(count * w));
        ws.Fresh(count * p).Fill(float.NaN);
        var job = new ElmoNative.Layers.TokenEncodeJob { Encoder = encoder, Workspace = ws, Count = count };
        job.Run();
        Assert.True(Compare.BitIdentical(expected, ws.Fresh(count * p).ToArray()), $"{count} tokens");
    }
}
