using ElmoNative.Extensions.AI;

namespace ElmoNative.Server.Tests;

/// <summary>A client that goes away cancels its queued work: the batching loop drops it instead of embedding it.</summary>
[Collection("model")]
public sealed class CancellationTests(DefaultModel fixture)
{
    [Fact]
    public async Task TheBatcherDropsAJobWhoseClientWentAwayAndEmbedsTheOthers()
    {
        var metrics = new ServerMetrics();
        var options = new ElmoServerOptions { MaxBatchDelay = TimeSpan.FromMilliseconds(200) };
        await using var batcher = new EmbeddingBatcher(fixture.Model, options, metrics);
        using var gone = new CancellationTokenSource();
        gone.Cancel();
        int storedForGone = 0;
        var dropped = new EmbeddingJob([["nobody", "listens"]], (_, _) => storedForGone++, gone.Token);
        var vectors = new float[2][];
        var choice = LayerChoice.Average(fixture.Model.LayerCount, Pooling.Mean);
        var kept = new EmbeddingJob([["The", "bank", "of", "the", "river", "."], ["Hi", "!"]], (i, s) => vectors[i] = choice.Extract(s), CancellationToken.None);
        Assert.True(batcher.TryEnqueue(dropped));
        Assert.True(batcher.TryEnqueue(kept));
        await kept.Completion.Task.WaitAsync(TimeSpan.FromMinutes(1));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => dropped.Completion.Task);
        Assert.Equal(0, storedForGone);
        Assert.Equal(1, metrics.Cancelled.Value);
        Assert.Equal(2, metrics.Sentences.Value);
        using var library = new ElmoEmbeddingGenerator(fixture.Model, new ElmoEmbeddingGeneratorOptions { Tokenizer = ElmoTokenizers.Whitespace });
        var expected = await library.GenerateAsync(["The bank of the river .", "Hi !"]);
        for (int i = 0; i < 2; i++) TestText.AssertBitIdentical(expected[i].Vector.Span, vectors[i], $"sentence {i}");
    }

    [Fact]
    public async Task AnHttpClientThatDisconnectsWhileQueuedIsDropped()
    {
        // The loop waits up to 3 s for more requests once it has one: the client gives up after 300 ms, long before.
        await using var server = await RunningServer.StartAsync(fixture.Model, o => o.MaxBatchDelay = TimeSpan.FromSeconds(3));
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => server.PostAsync("v1/embeddings", """{"input": "I will not wait"}""", giveUp.Token));
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (await server.MetricAsync("elmo_requests_cancelled_total") != 1)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), "the disconnected request was never dropped");
            await Task.Delay(100);
        }
        Assert.Equal(0, await server.MetricAsync("elmo_embedded_sentences_total"));
        Assert.Equal(0, await server.MetricAsync("elmo_requests_in_progress"));
        await TestText.JsonAsync(await server.PostAsync("v1/embeddings", """{"input": "the next one is answered"}"""));
    }
}
