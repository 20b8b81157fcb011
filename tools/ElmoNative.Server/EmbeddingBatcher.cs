using System.Diagnostics;
using System.Threading.Channels;
using ElmoNative.Output;

namespace ElmoNative.Server;

/// <summary>
/// Dynamic batching (docs/serve.md, "Batching"): requests wait in one bounded queue; a single loop takes the first,
/// then whatever else is queued, waiting up to <see cref="ElmoServerOptions.MaxBatchDelay"/> for more while the batch
/// holds fewer than <see cref="ElmoServerOptions.MaxBatchTokens"/> tokens, drops the requests whose clients went
/// away, and embeds all their sentences together, stateless, regrouped by length into internal batches
/// (<see cref="SentenceWindow.Plan(IReadOnlyList{int}, ElmoOptions)"/> with <c>elmo embed</c>'s bounds, as <see cref="ElmoModel.EmbedStreamAsync(IEnumerable{IReadOnlyList{string}}, int, IProgress{ElmoProgress}?, CancellationToken)"/> does).
/// A stateless sentence's vectors do not depend on the other sentences of its batch, bit for bit, so every request
/// gets exactly what embedding it alone would give.
/// </summary>
internal sealed class EmbeddingBatcher : IAsyncDisposable
{
    private readonly ElmoModel model;
    private readonly int maxBatchTokens;
    private readonly TimeSpan maxDelay;
    private readonly ServerMetrics metrics;
    private readonly Channel<EmbeddingJob> queue;
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EmbeddingBatcher(ElmoModel model, ElmoServerOptions options, ServerMetrics metrics)
    {
        this.model = model;
        this.metrics = metrics;
        maxBatchTokens = options.MaxBatchTokens;
        maxDelay = options.MaxBatchDelay;
        // Capacity 0 is not a channel Channels allows: a queue of one that refuses everything instead (TryEnqueue).
        Capacity = options.MaxQueuedRequests;
        queue = Channel.CreateBounded<EmbeddingJob>(new BoundedChannelOptions(Math.Max(1, Capacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        // The loop runs the engine, so it gets a thread of its own: on a thread-pool thread each batch would hold one of
        // the few pool threads (two on two cores) that Kestrel and the engine's own helpers need.
        new Thread(Loop) { IsBackground = true, Name = "elmo batcher" }.Start();
    }

    /// <summary>Most requests waiting in the queue.</summary>
    public int Capacity { get; }

    /// <summary>Queues <paramref name="job"/>; false when the queue is full (the caller answers 429).</summary>
    public bool TryEnqueue(EmbeddingJob job)
    {
        if (Capacity == 0 || !queue.Writer.TryWrite(job))
        {
            metrics.Rejected.Inc();
            return false;
        }
        metrics.QueueLength.Set(queue.Reader.Count);
        return true;
    }

    /// <summary>
    /// The share of the last batch's engine time the loop may wait for its clients' next requests (docs/serve.md,
    /// "Batching"): clients answered together send again together, a few milliseconds apart, and a batch taken the moment
    /// the first of them arrives would run nearly alone and leave the rest for another, equally slow engine pass.
    /// </summary>
    internal const double RefillFraction = 0.1;

    private void Loop()
    {
        try
        {
            TakeAndRunBatches();
            stopped.TrySetResult();
        }
        catch (Exception e)
        {
            stopped.TrySetException(e);
        }
    }

    /// <summary>The batching loop, on its own thread: it blocks while waiting for requests.</summary>
    private void TakeAndRunBatches()
    {
        var batch = new List<EmbeddingJob>();
        var output = new ElmoBatchOutput();
        int expected = 0; // the requests the next batch can count on: those just answered plus those that queued meanwhile
        var lastDuration = TimeSpan.Zero;
        while (Wait(queue.Reader.WaitToReadAsync()))
        {
            batch.Clear();
            int tokens = Take(batch, 0);
            // Wait for more while below the budget: up to --max-batch-delay-ms always, and, while fewer requests are
            // here than expected (the clients the last batch answered, and the requests that queued while it ran), up
            // to a tenth of that batch's engine time (the refill).
            var refill = batch.Count < expected ? lastDuration * RefillFraction : TimeSpan.Zero;
            var longest = refill > maxDelay ? refill : maxDelay;
            if (tokens < maxBatchTokens && longest > TimeSpan.Zero)
            {
                var clock = Stopwatch.StartNew();
                while (tokens < maxBatchTokens && clock.Elapsed < longest && (clock.Elapsed < maxDelay || batch.Count < expected))
                {
                    using var wait = new CancellationTokenSource(longest - clock.Elapsed);
                    try
                    {
                        if (!Wait(queue.Reader.WaitToReadAsync(wait.Token))) break;
                    }
                    catch (OperationCanceledException)
                    {
                        break;
                    }
                    tokens = Take(batch, tokens);
                }
            }
            metrics.QueueLength.Set(queue.Reader.Count);
            var started = Stopwatch.GetTimestamp();
            try
            {
                expected = Run(batch, output);
            }
            catch (Exception e)
            {
                // Whatever fails outside the engine calls (which fail their own requests) fails the batch's requests
                // that are still waiting; the loop goes on.
                foreach (var job in batch) job.Completion.TrySetException(e);
                expected = 0;
            }
            lastDuration = Stopwatch.GetElapsedTime(started);
        }
    }

    /// <summary>Blocks the loop's thread until <paramref name="ready"/> completes (completed ones, the usual case under load, do not block).</summary>
    private static bool Wait(ValueTask<bool> ready) => ready.IsCompletedSuccessfully ? ready.Result : ready.AsTask().GetAwaiter().GetResult();

    /// <summary>Moves queued jobs into <paramref name="batch"/> while it holds fewer than the token budget; the tokens after.</summary>
    private int Take(List<EmbeddingJob> batch, int tokens)
    {
        while (tokens < maxBatchTokens && queue.Reader.TryRead(out var job))
        {
            batch.Add(job);
            tokens += job.Tokens;
        }
        return tokens;
    }

    /// <summary>
    /// Embeds the sentences of the live jobs of <paramref name="batch"/> and completes each job; returns the requests
    /// the next batch can expect: the jobs answered here and those that queued while they ran.
    /// </summary>
    private int Run(List<EmbeddingJob> batch, ElmoBatchOutput output)
    {
        var sentences = new List<(EmbeddingJob Job, int Index)>();
        var lengths = new List<int>();
        var live = new List<EmbeddingJob>(batch.Count);
        foreach (var job in batch)
        {
            if (job.Cancellation.IsCancellationRequested)
            {
                metrics.Cancelled.Inc();
                job.Completion.TrySetCanceled(job.Cancellation);
                continue;
            }
            live.Add(job);
            for (int i = 0; i < job.Sentences.Count; i++)
            {
                sentences.Add((job, i));
                lengths.Add(job.Sentences[i].Count);
            }
        }
        if (live.Count == 0) return queue.Reader.Count;

        long started = Stopwatch.GetTimestamp();
        foreach (var job in live) job.StartedAt = started;
        long tokens = 0;
        var failed = new HashSet<EmbeddingJob>();
        var part = new List<IReadOnlyList<string>>();
        foreach (int[] rows in SentenceWindow.Plan(lengths, model.Options))
        {
            part.Clear();
            foreach (int row in rows) part.Add(sentences[row].Job.Sentences[sentences[row].Index]);
            try
            {
                model.EmbedEach(part, output, (b, sentence) =>
                {
                    var (job, index) = sentences[rows[b]];
                    job.Store(index, sentence);
                });
                foreach (int row in rows) tokens += lengths[row];
            }
            catch (Exception e)
            {
                // A failure of the engine (a damaged model's overflow, out of memory) fails the requests of this internal
                // batch only; the loop goes on.
                foreach (int row in rows)
                {
                    var job = sentences[row].Job;
                    if (failed.Add(job)) job.Completion.TrySetException(e);
                }
            }
        }
        long finished = Stopwatch.GetTimestamp();
        double seconds = Stopwatch.GetElapsedTime(started, finished).TotalSeconds;
        // Counted before the answers go out, so that none of the clients answered below has asked again yet.
        int expected = live.Count + queue.Reader.Count;
        foreach (var job in live)
        {
            job.FinishedAt = finished;
            if (!failed.Contains(job)) job.Completion.TrySetResult();
        }

        metrics.BatchSentences.Observe(sentences.Count);
        metrics.BatchTokens.Observe(tokens);
        metrics.BatchSeconds.Observe(seconds);
        metrics.Sentences.Inc(sentences.Count);
        metrics.Tokens.Inc(tokens);
        if (seconds > 0) metrics.TokensPerSecond.Set(tokens / seconds);
        metrics.TokenCacheHitRatio.Set(model.TokenCacheStatistics.HitRate);
        return expected;
    }

    /// <summary>Stops taking requests and waits until the queued ones are done.</summary>
    public async ValueTask DisposeAsync()
    {
        queue.Writer.TryComplete();
        await stopped.Task.ConfigureAwait(false);
    }
}
