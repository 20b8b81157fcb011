using ElmoNative.Tests.Reference;
using Microsoft.Extensions.Logging;

namespace ElmoNative.Tests;

/// <summary>
/// The asynchronous API: EmbedAsync equals Embed; EmbedStreamAsync equals the batch API sentence by sentence, reads at
/// most one batch ahead, reports monotone progress ending at the totals and stops on cancellation; the load logs.
/// </summary>
public class AsyncEmbeddingTests
{
    private static readonly Lazy<ElmoModel> model = new(() => ElmoModel.LoadDefault());

    private static IReadOnlyList<string>[] Sentences(int count, int seed) =>
        Enumerable.Range(0, count).Select(i => (IReadOnlyList<string>)TestSentences.RandomSentence(new Random(seed + i), 1 + i * 7 % 23)).ToArray();

    /// <summary>A synchronous source that counts the sentences pulled from it.</summary>
    private sealed class CountingSource(IReadOnlyList<IReadOnlyList<string>> items) : IEnumerable<IReadOnlyList<string>>
    {
        public int Pulled { get; private set; }

        public IEnumerator<IReadOnlyList<string>> GetEnumerator()
        {
            foreach (var item in items)
            {
                Pulled++;
                yield return item;
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    /// <summary>Records every report as it is made (System.Progress would post them later, possibly out of order).</summary>
    private sealed class RecordingProgress : IProgress<ElmoProgress>
    {
        public List<ElmoProgress> Reports { get; } = [];

        public Action<ElmoProgress>? OnReport { get; init; }

        public void Report(ElmoProgress value)
        {
            lock (Reports) Reports.Add(value);
            OnReport?.Invoke(value);
        }
    }

    [Fact]
    public async Task EmbedAsyncEqualsEmbed()
    {
        var sentences = Sentences(9, 1);
        var expected = model.Value.Embed(sentences);
        var actual = await model.Value.EmbedAsync(sentences);
        Assert.Equal(expected.Lengths, actual.Lengths);
        Assert.True(Compare.BitIdentical(expected.Activations.AsSpan(0, expected.Size), actual.Activations.AsSpan(0, actual.Size)));
    }

    [Fact]
    public async Task EmbedAsyncObservesCancellationBeforeStarting()
    {
        using var own = ElmoModel.LoadDefault();
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => own.EmbedAsync(Sentences(3, 2), cts.Token));
        Assert.Equal(0, own.TokenCacheStatistics.Hits + own.TokenCacheStatistics.Misses); // no token was looked at
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(100)]
    public async Task StreamEqualsBatchApiSentenceBySentenceAndReadsAtMostOneBatchAhead(int batchSize)
    {
        var sentences = Sentences(37, 3).ToList();
        sentences[5] = []; // an empty sentence has no vectors, as in Embed
        var expected = model.Value.Embed(sentences);
        var source = new CountingSource(sentences);
        int yielded = 0;
        await foreach (var result in model.Value.EmbedStreamAsync(source, batchSize))
        {
            Assert.Equal(yielded, result.Index);
            Assert.Same(sentences[yielded], result.Tokens);
            Assert.Equal(model.Value.LayerCount, result.LayerCount);
            Assert.True(Compare.BitIdentical(expected.ToArray(yielded), result.Values), $"sentence {yielded} differs");
            Assert.True(Compare.BitIdentical(expected.Layer(yielded, 2), result.Layer(2)));
            yielded++;
            Assert.InRange(source.Pulled - yielded, 0, batchSize - 1); // the rest of the current batch at most
        }
        Assert.Equal(sentences.Count, yielded);
        Assert.Equal(sentences.Count, source.Pulled);
    }

    /// <summary>
    /// A stream batch is regrouped by length into internal batches of at most ElmoNative.Output.SentenceWindow.DefaultBatchTokens padded tokens;
    /// every sentence still gets the bits it gets alone. Lengths from 1 to 700 tokens and one of 2,100, so that a batch
    /// is cut into many internal batches and a sentence exceeds the budget by itself.
    /// </summary>
    [Theory]
    [InlineData(11, 64)]
    [InlineData(12, 25)]
    public async Task RegroupedStreamEqualsEachSentenceAlone(int seed, int batchSize)
    {
        var random = new Random(seed);
        var sentences = Enumerable.Range(0, 90).Select(i =>
        {
            int length = i == 0 ? 2100 : random.Next(10) == 0 ? random.Next(100, 700) : random.Next(1, 40);
            return (IReadOnlyList<string>)TestSentences.RandomSentence(random, length);
        }).ToList();
        Assert.True(sentences.Take(batchSize).Sum(s => s.Count) > ElmoNative.Output.SentenceWindow.DefaultBatchTokens); // the first batch is cut
        int i = 0;
        await foreach (var result in model.Value.EmbedStreamAsync(sentences, batchSize))
        {
            Assert.Equal(i, result.Index);
            var alone = model.Value.Embed([sentences[i]]);
            Assert.True(Compare.BitIdentical(alone.ToArray(0), result.Values), $"sentence {i} ({sentences[i].Count} tokens) differs");
            i++;
        }
        Assert.Equal(sentences.Count, i);
    }

    [Fact]
    public async Task AsyncSourceStreamsInOrder()
    {
        var sentences = Sentences(20, 4);
        var expected = model.Value.Embed(sentences);
        int pulled = 0;
        async IAsyncEnumerable<IReadOnlyList<string>> Source()
        {
            foreach (var s in sentences)
            {
                await Task.Yield();
                pulled++;
                yield return s;
            }
        }
        int i = 0;
        await foreach (var result in model.Value.EmbedStreamAsync(Source(), batchSize: 6))
        {
            Assert.True(Compare.BitIdentical(expected.ToArray(i), result.Values));
            Assert.InRange(pulled - ++i, 0, 5);
        }
        Assert.Equal(20, i);
    }

    [Fact]
    public async Task ProgressIsMonotoneAndEndsAtTheTotals()
    {
        var sentences = Sentences(45, 5);
        var progress = new RecordingProgress();
        int count = 0;
        await foreach (var _ in model.Value.EmbedStreamAsync(sentences, batchSize: 10, progress)) count++;
        Assert.Equal(45, count);
        Assert.Equal(5, progress.Reports.Count); // one per batch: 10, 20, 30, 40, 45
        for (int i = 1; i < progress.Reports.Count; i++)
        {
            Assert.True(progress.Reports[i].Sentences > progress.Reports[i - 1].Sentences);
            Assert.True(progress.Reports[i].Tokens > progress.Reports[i - 1].Tokens);
        }
        Assert.Equal(new ElmoProgress(45, sentences.Sum(s => (long)s.Count)), progress.Reports[^1]);
    }

    [Fact]
    public async Task CancellationStopsTheStreamBetweenBatches()
    {
        var sentences = Sentences(80, 6);
        var source = new CountingSource(sentences);
        using var cts = new CancellationTokenSource();
        var progress = new RecordingProgress { OnReport = _ => cts.Cancel() }; // cancel as soon as the first batch is done
        int yielded = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in model.Value.EmbedStreamAsync(source, batchSize: 8, progress, cts.Token)) yielded++;
        });
        Assert.Single(progress.Reports); // no second batch was embedded
        Assert.InRange(yielded, 0, 8);
        Assert.InRange(source.Pulled, 8, 9); // at most the first sentence of the next batch was read
    }

    [Fact]
    public async Task BadSentenceIsNamedByItsIndexInTheStream()
    {
        var sentences = Sentences(30, 7).ToList();
        sentences[21] = ["ok", ""];
        var error = await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var _ in model.Value.EmbedStreamAsync(sentences, batchSize: 8)) { }
        });
        Assert.Contains("sentence 21, token 1 is empty", error.Message);
    }

    /// <summary>A logger that keeps what it is given (a test double of the logging abstraction, not of a component).</summary>
    private sealed class RecordingLogger : ILogger
    {
        public List<(LogLevel Level, string Message)> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages) Messages.Add((logLevel, formatter(state, exception)));
        }
    }

    [Fact]
    public void LoadIsLoggedOnceAndEmbeddingLogsNothing()
    {
        var logger = new RecordingLogger();
        string directory = ElmoModel.FindDefaultDirectory()!;
        using var loaded = ElmoModel.LoadDirectory(directory, new ElmoLoadOptions { Logger = logger, Threads = 1, TokenCacheCapacity = 123 });
        var (level, message) = Assert.Single(logger.Messages);
        Assert.Equal(LogLevel.Information, level);
        Assert.Contains(Path.Combine(directory, "weights.hdf5"), message);
        Assert.Contains($"{loaded.ParameterCount} parameters", message);
        Assert.Contains("3 layers of dimension 256", message);
        Assert.Contains("1 threads", message);
        Assert.Equal(1, loaded.Threads);
        Assert.Equal(123, loaded.TokenCacheCapacity);
        loaded.Embed(Sentences(4, 8));
        loaded.EmbedTokens(["a", "b"]);
        Assert.Single(logger.Messages);
    }
}
