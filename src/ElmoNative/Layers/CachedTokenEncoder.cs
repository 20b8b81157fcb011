using ElmoNative.Kernels;
using ElmoNative.Text;

namespace ElmoNative.Layers;

/// <summary>
/// Layer 0 of the biLM at inference: the <see cref="TokenEncoder"/> behind a <see cref="TokenCache"/>. Token
/// representations are context independent, so each distinct token of a batch is looked up once and encoded only when
/// not cached; &lt;S&gt; and &lt;/S&gt; are encoded once, at load.
/// </summary>
internal sealed class CachedTokenEncoder : IDisposable
{
    private readonly ElmoOptions options;
    private readonly TokenEncoder encoder;
    private readonly float[] beginOfSentence, endOfSentence; // representations of <S> and </S> [P], computed once

    public CachedTokenEncoder(ElmoOptions options, TokenEncoder encoder, int cacheCapacity)
    {
        this.options = options;
        this.encoder = encoder;
        using var ws = new InferenceWorkspace();
        beginOfSentence = new float[options.ProjectionDim];
        endOfSentence = new float[options.ProjectionDim];
        encoder.Encode(CharacterIds.Map(CharacterIds.BeginOfSentence, options.MaxCharactersPerToken), 1, ws, beginOfSentence);
        encoder.Encode(CharacterIds.Map(CharacterIds.EndOfSentence, options.MaxCharactersPerToken), 1, ws, endOfSentence);
        Cache = new TokenCache(options.MaxCharactersPerToken, options.ProjectionDim, cacheCapacity);
    }

    /// <summary>The token encoder.</summary>
    public TokenEncoder Encoder => encoder;

    /// <summary>Cached token representations, keyed by character ids.</summary>
    public TokenCache Cache { get; }

    /// <summary>Context-independent representations of <paramref name="tokens"/> into output [N, P] (through the cache).</summary>
    public void EncodeTokens(IReadOnlyList<string> tokens, Span<float> output, BiLmWorkspace ws)
    {
        int w = options.MaxCharactersPerToken, p = options.ProjectionDim;
        for (int start = 0; start < tokens.Count; start += TokenEncoder.ChunkTokens)
        {
            int n = Math.Min(TokenEncoder.ChunkTokens, tokens.Count - start);
            var ids = ws.BatchCharIds(n * w);
            for (int i = 0; i < n; i++) CharacterIds.Map(tokens[start + i], ids.Slice(i * w, w));
            EncodeCached(ids, n, output.Slice(start * p, n * p), ws);
        }
    }

    /// <summary>Encodes <paramref name="tokens"/> and keeps them in the cache for good (a preloaded vocabulary).</summary>
    public void Preload(IEnumerable<string> tokens, BiLmWorkspace ws)
    {
        int w = options.MaxCharactersPerToken, p = options.ProjectionDim, n = 0;
        var ids = ws.MissingCharIds(SplitTokens * w);
        var vectors = ws.Fresh(SplitTokens * p);
        using var e = tokens.GetEnumerator();
        bool more = true;
        while (more)
        {
            n = 0;
            while (n < SplitTokens && (more = e.MoveNext())) CharacterIds.Map(e.Current, ids.Slice(n++ * w, w));
            if (n == 0) break;
            EncodeMissing(n, ws);
            Cache.Pin(ids, n, vectors);
        }
    }

    /// <summary>
    /// Bytes of a group of <see cref="EncodeAhead"/>: its character ids, twice (all of them, then the missing ones), and
    /// representations (2W ints and P floats per token) stay within this. Each group ends with one thread finishing its
    /// last chunk while the other waits, so fewer, larger groups leave less idle: 512 tokens a group took `small` 2.3%
    /// longer over Brown's first 2,000 sentences than one group of their 8,012 (bench/README.md, "The character CNN
    /// folded, and larger groups when encoding ahead").
    /// </summary>
    public const int AheadGroupBytes = 8 << 20;

    /// <summary>Distinct tokens per group of <see cref="EncodeAhead"/>: as many as <see cref="AheadGroupBytes"/> holds (9,198 for `small`, 3,426 for `original`), at least 512.</summary>
    public int AheadGroupTokens => Math.Max(512, AheadGroupBytes / (2 * sizeof(int) * options.MaxCharactersPerToken + sizeof(float) * options.ProjectionDim));

    /// <summary>
    /// Encodes the tokens of <paramref name="sentences"/> that the cache lacks and adds them to it
    /// (<see cref="TokenCache.AddAhead"/>), for a caller about to embed these sentences in several batches: the
    /// encoder then runs on groups of up to <see cref="AheadGroupTokens"/> new tokens split between the threads
    /// (<see cref="TokenEncodeJob"/>), instead of on each batch's few new tokens. Tokens are taken in the order given,
    /// and only the first distinct ones up to the cache's capacity, cached or not: each is touched or added as the most
    /// recent entry, so none of them is evicted before the batches look it up; the batches encode whatever is left,
    /// as they do without this call. The representations are the same bits.
    /// </summary>
    public void EncodeAhead(IEnumerable<IReadOnlyList<string>> sentences, BiLmWorkspace ws)
    {
        int w = options.MaxCharactersPerToken, capacity = Cache.Capacity, n = 0, group = AheadGroupTokens;
        if (capacity == 0) return;
        var seen = ws.DistinctTokens;
        seen.Clear();
        var ids = ws.BatchCharIds(group * w);
        foreach (var sentence in sentences)
        {
            for (int k = 0; k < sentence.Count && seen.Count < capacity; k++)
            {
                string token = sentence[k];
                if (!seen.TryAdd(token, n)) continue;
                CharacterIds.Map(token, ids.Slice(n++ * w, w));
                if (n < group) continue;
                EncodeGroup(n, ws);
                n = 0;
            }
        }
        if (n > 0) EncodeGroup(n, ws);
        seen.Clear();
    }

    /// <summary>Encodes the tokens of the group in the workspace's <see cref="BiLmWorkspace.BatchCharIds"/> [n, W] that the cache lacks.</summary>
    private void EncodeGroup(int n, BiLmWorkspace ws)
    {
        int w = options.MaxCharactersPerToken, p = options.ProjectionDim;
        var ids = ws.BatchCharIds(n * w);
        var missing = ws.Missing(n);
        int missed = Cache.Touch(ids, n, missing);
        if (missed == 0) return;
        var missingIds = ws.MissingCharIds(missed * w);
        for (int j = 0; j < missed; j++) ids.Slice(missing[j] * w, w).CopyTo(missingIds.Slice(j * w, w));
        EncodeMissing(missed, ws);
        Cache.AddAhead(missingIds, missed, ws.Fresh(missed * p));
    }

    /// <summary>
    /// Token representations of every step of every row of a packed batch into x [R, P] (<see cref="PackedBatch"/>):
    /// &lt;S&gt; at step 0, the sentence's tokens, &lt;/S&gt; at its last step. The representations of the batch's
    /// distinct tokens are gathered in <paramref name="scratch"/> (at least R x P floats, overwritten; the caller lends
    /// a buffer it fills only afterwards) before they are copied to their rows.
    /// </summary>
    public void EncodeBatch(IReadOnlyList<IReadOnlyList<string>> sentences, ReadOnlySpan<int> order, ReadOnlySpan<int> steps,
        ReadOnlySpan<int> offsets, Span<float> x, Span<float> scratch, BiLmWorkspace ws)
    {
        int p = options.ProjectionDim, w = options.MaxCharactersPerToken, batch = order.Length;
        int total = 0;
        for (int s = 0; s < batch; s++) total += Math.Max(0, steps[s] - 2);

        var distinct = ws.DistinctTokens;
        distinct.Clear();
        var ids = ws.BatchCharIds(total * w);
        var tokenOf = ws.TokenRows(total); // for the i-th token of the batch: its index among the distinct tokens
        int i = 0;
        for (int s = 0; s < batch; s++)
        {
            if (steps[s] == 0) continue;
            var sentence = sentences[order[s]];
            beginOfSentence.CopyTo(x.Slice(s * p, p));
            endOfSentence.CopyTo(x.Slice((offsets[steps[s] - 1] + s) * p, p));
            for (int k = 0; k < sentence.Count; k++) // (foreach over the interface would allocate an enumerator)
            {
                string token = sentence[k];
                if (!distinct.TryGetValue(token, out int index))
                {
                    index = distinct.Count;
                    distinct.Add(token, index);
                    CharacterIds.Map(token, ids.Slice(index * w, w));
                }
                tokenOf[i++] = index;
            }
        }

        var encoded = scratch[..(distinct.Count * p)];
        EncodeCached(ids, distinct.Count, encoded, ws);
        i = 0;
        for (int s = 0; s < batch; s++)
            for (int k = 0; k < steps[s] - 2; k++, i++)
                encoded.Slice(tokenOf[i] * p, p).CopyTo(x.Slice((offsets[k + 1] + s) * p, p));
    }

    /// <summary>Frees the packed weights and the cached representations (native memory).</summary>
    public void Dispose()
    {
        encoder.Dispose();
        Cache.Dispose();
    }

    /// <summary>Fewest tokens for which the encoder runs as two workers (<see cref="TokenEncodeJob"/>).</summary>
    public const int SplitTokens = 2 * TokenEncodeJob.ChunkTokens;

    /// <summary>
    /// Encodes the workspace's <see cref="BiLmWorkspace.MissingCharIds"/> [count, W] into its <see cref="BiLmWorkspace.Fresh"/>
    /// [count, P]. With two or more threads and at least <see cref="SplitTokens"/> tokens, two workers take chunks of
    /// tokens in turn (the character CNN then runs on both cores, and each highway GEMM keeps a whole chunk of rows);
    /// fewer tokens run as one encoder call whose GEMMs split their columns between the threads. The same bits either way.
    /// </summary>
    private void EncodeMissing(int count, BiLmWorkspace ws)
    {
        int w = options.MaxCharactersPerToken, p = options.ProjectionDim;
        // Both buffers at their size here, on the calling thread: the workers only read them (a growth is not thread-safe).
        var ids = ws.MissingCharIds(count * w);
        var fresh = ws.Fresh(count * p);
        if (count < SplitTokens || KernelSettings.ThreadsForCurrentThread < 2)
        {
            encoder.Encode(ids, count, ws.Inference, fresh);
            return;
        }
        var job = ws.TokenEncodeJob;
        job.Encoder = encoder;
        job.Workspace = ws;
        job.Count = count;
        try
        {
            job.Run();
        }
        finally
        {
            job.Encoder = null;
            job.Workspace = null;
        }
    }

    /// <summary>
    /// Representations of the tokens ids [count, W] into output [count, P]: cached ones are copied, the others run
    /// through the encoder (in one batch) and are then cached.
    /// </summary>
    private void EncodeCached(ReadOnlySpan<int> ids, int count, Span<float> output, BiLmWorkspace ws)
    {
        if (!Cache.Enabled)
        {
            encoder.Encode(ids, count, ws.Inference, output);
            return;
        }
        int w = options.MaxCharactersPerToken, p = options.ProjectionDim;
        var missing = ws.Missing(count);
        int missed = Cache.Lookup(ids, count, output, missing);
        if (missed == 0) return;
        var missingIds = ws.MissingCharIds(missed * w);
        for (int j = 0; j < missed; j++) ids.Slice(missing[j] * w, w).CopyTo(missingIds.Slice(j * w, w));
        EncodeMissing(missed, ws);
        var fresh = ws.Fresh(missed * p);
        for (int j = 0; j < missed; j++) fresh.Slice(j * p, p).CopyTo(output.Slice(missing[j] * p, p));
        Cache.Add(missingIds, missed, fresh);
    }
}
