using System.Runtime.CompilerServices;

namespace ElmoNative;

public sealed partial class ElmoModel
{
    /// <summary>Default batch size of <see cref="EmbedStreamAsync(IAsyncEnumerable{IReadOnlyList{string}}, int, IProgress{ElmoProgress}?, CancellationToken)"/>.</summary>
    public const int DefaultStreamBatchSize = 32;

    /// <summary>
    /// <see cref="Embed(IReadOnlyList{IReadOnlyList{string}}, ElmoState?)"/> (stateless) on a thread-pool thread, so that
    /// the caller's thread is free while the batch runs. <paramref name="cancellationToken"/> is observed before the
    /// batch starts; a batch that has started runs to its end (split a large input with
    /// <see cref="EmbedStreamAsync(IAsyncEnumerable{IReadOnlyList{string}}, int, IProgress{ElmoProgress}?, CancellationToken)"/>,
    /// which stops between batches).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled before the batch started.</exception>
    public Task<ElmoBatchOutput> EmbedAsync(IReadOnlyList<IReadOnlyList<string>> sentences, CancellationToken cancellationToken = default)
    {
        Validate(sentences);
        return Task.Run(() => Embed(sentences), cancellationToken);
    }

    /// <summary>
    /// Embeds a stream of tokenized sentences (stateless) in batches of <paramref name="batchSize"/>, yielding one
    /// <see cref="ElmoSentenceEmbedding"/> per sentence in input order. At most one batch of the input is read ahead
    /// of what has been yielded, so the memory does not grow with the input. Each batch runs on a thread-pool thread;
    /// <paramref name="progress"/>, if given, hears after each batch (on that thread, before its sentences are
    /// yielded) how many sentences and tokens are done. <paramref name="cancellationToken"/> is observed between
    /// batches and while reading the input.
    /// </summary>
    /// <exception cref="ArgumentException">A sentence is null or holds an empty token (the message names its index).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled.</exception>
    public async IAsyncEnumerable<ElmoSentenceEmbedding> EmbedStreamAsync(IAsyncEnumerable<IReadOnlyList<string>> sentences,
        int batchSize = DefaultStreamBatchSize, IProgress<ElmoProgress>? progress = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var batch = new List<IReadOnlyList<string>>(batchSize);
        var output = new ElmoBatchOutput();
        var done = new ElmoProgress(0, 0);
        await foreach (var sentence in sentences.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            CheckSentence(sentence, done.Sentences + batch.Count, nameof(sentences));
            batch.Add(sentence);
            if (batch.Count < batchSize) continue;
            done = await RunStreamBatch(batch, output, done, progress, cancellationToken).ConfigureAwait(false);
            foreach (var result in Results(batch, output, done)) yield return result;
            batch.Clear();
        }
        if (batch.Count > 0)
        {
            done = await RunStreamBatch(batch, output, done, progress, cancellationToken).ConfigureAwait(false);
            foreach (var result in Results(batch, output, done)) yield return result;
        }
    }

    /// <summary>
    /// As <see cref="EmbedStreamAsync(IAsyncEnumerable{IReadOnlyList{string}}, int, IProgress{ElmoProgress}?, CancellationToken)"/>
    /// for a synchronous source (a file read line by line, a lazy query): it is enumerated once, one batch at a time.
    /// </summary>
    public IAsyncEnumerable<ElmoSentenceEmbedding> EmbedStreamAsync(IEnumerable<IReadOnlyList<string>> sentences,
        int batchSize = DefaultStreamBatchSize, IProgress<ElmoProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        return EmbedStreamAsync(AsAsync(sentences, cancellationToken), batchSize, progress, cancellationToken);
    }

    private static async IAsyncEnumerable<IReadOnlyList<string>> AsAsync(IEnumerable<IReadOnlyList<string>> sentences,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var sentence in sentences)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return sentence;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <summary>Embeds one batch of a stream into <paramref name="output"/> on the thread pool and reports the progress.</summary>
    private async Task<ElmoProgress> RunStreamBatch(List<IReadOnlyList<string>> batch, ElmoBatchOutput output, ElmoProgress before,
        IProgress<ElmoProgress>? progress, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        await Task.Run(() => Embed(batch, output), cancellationToken).ConfigureAwait(false);
        long tokens = 0;
        foreach (var sentence in batch) tokens += sentence.Count;
        var after = new ElmoProgress(before.Sentences + batch.Count, before.Tokens + tokens);
        progress?.Report(after);
        return after;
    }

    /// <summary>The sentences of a finished stream batch, copied out of the reused output.</summary>
    private ElmoSentenceEmbedding[] Results(List<IReadOnlyList<string>> batch, ElmoBatchOutput output, ElmoProgress done)
    {
        long first = done.Sentences - batch.Count;
        var results = new ElmoSentenceEmbedding[batch.Count];
        for (int i = 0; i < batch.Count; i++)
            results[i] = new ElmoSentenceEmbedding(first + i, batch[i], LayerCount, Dim, output.ToArray(i));
        return results;
    }

    /// <summary>One sentence of a stream: not null, no empty token (the message names its index in the stream).</summary>
    private static void CheckSentence(IReadOnlyList<string>? sentence, long index, string sentencesName)
    {
        if (sentence is null) throw new ArgumentException($"sentence {index} is null", sentencesName);
        for (int k = 0; k < sentence.Count; k++)
            if (string.IsNullOrEmpty(sentence[k])) throw new ArgumentException($"sentence {index}, token {k} is empty", sentencesName);
    }
}
