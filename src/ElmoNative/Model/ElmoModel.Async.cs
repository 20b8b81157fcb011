using System.Runtime.CompilerServices;
using ElmoNative.Output;

namespace ElmoNative;

public sealed partial class ElmoModel
{
    /// <summary>Default batch size (sentences read and embedded together) of <see cref="EmbedStreamAsync(IAsyncEnumerable{IReadOnlyList{string}}, int, IProgress{ElmoProgress}?, CancellationToken)"/>.</summary>
    public const int DefaultStreamBatchSize = 128;

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
    /// of what has been yielded, so the memory does not grow with the input. A batch is regrouped before it runs (a
    /// stateless sentence's vectors do not depend on its batch, bit for bit): its sentences are sorted by length and
    /// embedded in internal batches of at most 2,048 padded tokens and 128 sentences, so that the recurrent steps stay dense (docs/formats.md,
    /// the same rule as <c>elmo embed</c>); a larger <paramref name="batchSize"/> groups lengths better and holds more
    /// results at once. Each batch runs on a thread-pool thread;
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
            (done, var results) = await RunStreamBatch(batch, output, done, progress, cancellationToken).ConfigureAwait(false);
            batch.Clear();
            foreach (var result in results) yield return result;
        }
        if (batch.Count > 0)
        {
            (done, var results) = await RunStreamBatch(batch, output, done, progress, cancellationToken).ConfigureAwait(false);
            foreach (var result in results) yield return result;
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

    /// <summary>Embeds one batch of a stream (regrouped) on the thread pool and reports the progress.</summary>
    private async Task<(ElmoProgress Done, ElmoSentenceEmbedding[] Results)> RunStreamBatch(List<IReadOnlyList<string>> batch, ElmoBatchOutput output, ElmoProgress before,
        IProgress<ElmoProgress>? progress, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var results = new ElmoSentenceEmbedding[batch.Count];
        await Task.Run(() => EmbedRegrouped(batch, output, before.Sentences, results), cancellationToken).ConfigureAwait(false);
        long tokens = 0;
        foreach (var sentence in batch) tokens += sentence.Count;
        var after = new ElmoProgress(before.Sentences + batch.Count, before.Tokens + tokens);
        progress?.Report(after);
        return (after, results);
    }

    /// <summary>
    /// Embeds <paramref name="batch"/> in length-sorted internal batches (<see cref="SentenceWindow.Plan(IReadOnlyList{int}, ElmoOptions)"/>, with
    /// <c>elmo embed</c>'s bounds) one sentence at a time into the reused <paramref name="output"/>, as <c>elmo embed</c>
    /// does, and puts each sentence's vectors, copied out, at its place in <paramref name="results"/>.
    /// </summary>
    private void EmbedRegrouped(List<IReadOnlyList<string>> batch, ElmoBatchOutput output, long first, ElmoSentenceEmbedding[] results)
    {
        var lengths = new int[batch.Count];
        for (int i = 0; i < lengths.Length; i++) lengths[i] = batch[i].Count;
        var part = new List<IReadOnlyList<string>>();
        foreach (int[] rows in SentenceWindow.Plan(lengths, Options))
        {
            part.Clear();
            foreach (int i in rows) part.Add(batch[i]);
            EmbedEach(part, output, (b, sentence) =>
            {
                int i = rows[b];
                results[i] = new ElmoSentenceEmbedding(first + i, batch[i], LayerCount, Dim, sentence.ToArray(0));
            });
        }
    }

    /// <summary>One sentence of a stream: not null, no empty token (the message names its index in the stream).</summary>
    private static void CheckSentence(IReadOnlyList<string>? sentence, long index, string sentencesName)
    {
        if (sentence is null) throw new ArgumentException($"sentence {index} is null", sentencesName);
        for (int k = 0; k < sentence.Count; k++)
            if (string.IsNullOrEmpty(sentence[k])) throw new ArgumentException($"sentence {index}, token {k} is empty", sentencesName);
    }
}
