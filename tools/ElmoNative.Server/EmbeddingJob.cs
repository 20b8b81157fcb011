using System.Diagnostics;

namespace ElmoNative.Server;

/// <summary>
/// One request's sentences waiting for the engine (<see cref="EmbeddingBatcher"/>): the tokenized inputs, what to keep
/// of each sentence's layers (<see cref="Store"/>, called on the engine's thread), and the task the request awaits.
/// </summary>
internal sealed class EmbeddingJob
{
    /// <summary>A job of <paramref name="sentences"/> (each at least one token); <paramref name="cancellation"/> is the request's.</summary>
    public EmbeddingJob(IReadOnlyList<IReadOnlyList<string>> sentences, Action<int, ElmoBatchOutput> store, CancellationToken cancellation)
    {
        Sentences = sentences;
        Store = store;
        Cancellation = cancellation;
        foreach (var sentence in sentences) Tokens += sentence.Count;
    }

    /// <summary>The tokenized sentences.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Sentences { get; }

    /// <summary>Tokens of all the sentences.</summary>
    public int Tokens { get; }

    /// <summary>Keeps what the request needs of sentence i's layers (a one-row output, reused after the call).</summary>
    public Action<int, ElmoBatchOutput> Store { get; }

    /// <summary>Canceled when the client goes away: a queued job is then dropped.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>When the job was made (a <see cref="Stopwatch"/> timestamp).</summary>
    public long CreatedAt { get; } = Stopwatch.GetTimestamp();

    /// <summary>When its engine batch started (set by the batcher).</summary>
    public long StartedAt { get; set; }

    /// <summary>When its engine batch ended (set by the batcher before the job completes).</summary>
    public long FinishedAt { get; set; }

    /// <summary>
    /// The <c>Server-Timing</c> header of the answer (docs/serve.md): <c>queue</c>, the wait for the engine, and
    /// <c>engine</c>, its batch's engine time, in milliseconds.
    /// </summary>
    public string ServerTiming() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"queue;dur={Stopwatch.GetElapsedTime(CreatedAt, StartedAt).TotalMilliseconds:F2}, engine;dur={Stopwatch.GetElapsedTime(StartedAt, FinishedAt).TotalMilliseconds:F2}");

    /// <summary>Completed when every sentence is stored, faulted when the engine failed, canceled when dropped.</summary>
    public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
