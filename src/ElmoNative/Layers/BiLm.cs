using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Parameters;
using ElmoNative.Text;

namespace ElmoNative.Layers;

/// <summary>
/// The bidirectional language model of ELMo (spec sections 3-5): token encoder, then L stacked LSTM layers per
/// direction. Each sentence of n tokens runs as n + 2 steps (&lt;S&gt;, tokens, &lt;/S&gt;); the backward direction runs the
/// same steps right to left, reversing each sentence by its own length. Inside a batch, sentences are sorted by
/// decreasing length (so finished rows drop out of the recurrent GEMM) and the order is restored on output.
/// Token representations are context independent, so they come from a <see cref="TokenCache"/> when seen before.
/// </summary>
internal sealed class BiLm : IDisposable
{
    private readonly ElmoOptions options;
    private readonly TokenEncoder encoder;
    private readonly LstmWithProjection[][] lstm; // [direction][layer]
    private readonly float[] beginOfSentence, endOfSentence; // representations of <S> and </S> [P], computed once

    /// <summary>Default number of tokens the LRU part of the token cache keeps (about 20 MB for P = 512).</summary>
    public const int DefaultCacheCapacity = 10_000;

    public BiLm(ElmoOptions options, WeightSource weights)
    {
        this.options = options;
        var packed = LayerWeights.Packed(weights);
        encoder = new TokenEncoder(options, packed);
        lstm = new LstmWithProjection[2][];
        for (int d = 0; d < 2; d++)
        {
            lstm[d] = new LstmWithProjection[options.LstmLayers];
            for (int l = 0; l < options.LstmLayers; l++) lstm[d][l] = new LstmWithProjection(options, d, l, packed);
        }
        using var ws = new InferenceWorkspace();
        beginOfSentence = new float[options.ProjectionDim];
        endOfSentence = new float[options.ProjectionDim];
        encoder.Encode(CharacterIds.Map(CharacterIds.BeginOfSentence, options.MaxCharactersPerToken), 1, ws, beginOfSentence);
        encoder.Encode(CharacterIds.Map(CharacterIds.EndOfSentence, options.MaxCharactersPerToken), 1, ws, endOfSentence);
        Cache = new TokenCache(options.MaxCharactersPerToken, options.ProjectionDim, DefaultCacheCapacity);
    }

    /// <summary>The token encoder (layer 0).</summary>
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
        var ids = ws.BatchCharIds(TokenEncoder.ChunkTokens * w);
        var vectors = ws.Fresh(TokenEncoder.ChunkTokens * p);
        using var e = tokens.GetEnumerator();
        bool more = true;
        while (more)
        {
            n = 0;
            while (n < TokenEncoder.ChunkTokens && (more = e.MoveNext())) CharacterIds.Map(e.Current, ids.Slice(n++ * w, w));
            if (n == 0) break;
            encoder.Encode(ids, n, ws.Inference, vectors);
            Cache.Pin(ids, n, vectors);
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
        var fresh = ws.Fresh(missed * p);
        encoder.Encode(missingIds, missed, ws.Inference, fresh);
        for (int j = 0; j < missed; j++) fresh.Slice(j * p, p).CopyTo(output.Slice(missing[j] * p, p));
        Cache.Add(missingIds, missed, fresh);
    }

    /// <summary>
    /// Runs the biLM on a batch and writes every layer (boundaries removed) into <paramref name="output"/>.
    /// With a <paramref name="state"/>, each row starts from and updates its stored state (spec section 5).
    /// </summary>
    public void Forward(IReadOnlyList<IReadOnlyList<string>> sentences, ElmoState? state, BiLmWorkspace ws, ElmoBatchOutput output)
    {
        int batch = sentences.Count, p = options.ProjectionDim, layers = options.LstmLayers;
        if (batch == 0) return;

        // Sort rows by decreasing step count (stable): sorted row s holds sentence order[s].
        var order = ws.Order(batch);
        var steps = ws.Steps(batch);
        var keys = ws.SortKeys(batch); // longest first, ties by position (a stable sort without a comparison delegate)
        for (int b = 0; b < batch; b++) keys[b] = ((long)(int.MaxValue - sentences[b].Count) << 32) | (uint)b;
        keys.Sort();
        for (int s = 0; s < batch; s++) order[s] = (int)(keys[s] & uint.MaxValue);
        for (int s = 0; s < batch; s++) steps[s] = sentences[order[s]].Count == 0 ? 0 : sentences[order[s]].Count + 2;
        int maxSteps = steps[0];

        // Packed time-major layout: step t holds the active[t] rows still running, at rows offsets[t] ..
        var active = ws.Active(maxSteps);
        var offsets = ws.Offsets(maxSteps + 1);
        offsets[0] = 0;
        for (int t = 0; t < maxSteps; t++)
        {
            int a = 0;
            while (a < batch && steps[a] > t) a++;
            active[t] = a;
            offsets[t + 1] = offsets[t] + a;
        }

        // Layer 0: token representations [R, P]; forward order and per-row reversed order.
        int rows = offsets[maxSteps];
        var forwardInput = ws.Input(0, rows * p);
        var backwardInput = ws.Input(1, rows * p);
        EncodeBatch(sentences, order, steps, offsets, forwardInput, ws);
        for (int s = 0; s < batch; s++)
            for (int t = 0; t < steps[s]; t++)
                forwardInput.Slice((offsets[t] + s) * p, p).CopyTo(backwardInput.Slice((offsets[steps[s] - 1 - t] + s) * p, p));

        // The LSTM layers: the two directions are independent, so with two or more threads they run side by side,
        // each on half the threads (its recurrent GEMMs then stream its own weights on its own core).
        if (state is not null)
        {
            int needed = 0;
            for (int s = 0; s < batch; s++) if (steps[s] > 0) needed = Math.Max(needed, order[s] + 1);
            state.EnsureRows(needed);
        }
        ws.State = state;
        ws.Batch = batch;
        ws.MaxSteps = maxSteps;
        ws.Threads = KernelSettings.ThreadsForCurrentThread;
        try
        {
            if (ws.Threads >= 2) ParallelParts.For(2, 2, ws.DirectionBody ??= d => RunDirection(d, ws));
            else
            {
                RunDirection(0, ws);
                RunDirection(1, ws);
            }
        }
        finally
        {
            ws.State = null;
        }

        // Gather into [B, L + 1, T, 2P], dropping <S> (step 0) and </S> (step n + 1).
        for (int s = 0; s < batch; s++)
        {
            int b = order[s], n = steps[s] - 2;
            if (n <= 0) continue;
            for (int k = 0; k < n; k++)
            {
                int forwardRow = offsets[k + 1] + s, backwardRow = offsets[steps[s] - 2 - k] + s;
                var token = forwardInput.Slice(forwardRow * p, p);
                var row0 = output.LayerSpan(b, 0).Slice(k * 2 * p, 2 * p);
                token.CopyTo(row0);
                token.CopyTo(row0[p..]);
                for (int l = 0; l < layers; l++)
                {
                    var row = output.LayerSpan(b, l + 1).Slice(k * 2 * p, 2 * p);
                    ws.LayerOutput(0, l, rows * p).Slice(forwardRow * p, p).CopyTo(row);
                    ws.LayerOutput(1, l, rows * p).Slice(backwardRow * p, p).CopyTo(row[p..]);
                }
            }
        }
    }

    /// <summary>All LSTM layers of direction <paramref name="d"/> over the packed batch described by <paramref name="ws"/>.</summary>
    private void RunDirection(int d, BiLmWorkspace ws)
    {
        int batch = ws.Batch, maxSteps = ws.MaxSteps, p = options.ProjectionDim, h = options.LstmDim;
        var state = ws.State;
        using var limit = KernelSettings.LimitCurrentThread(Math.Max(1, ws.Threads / 2));
        ReadOnlySpan<int> order = ws.Order(batch), steps = ws.Steps(batch);
        ReadOnlySpan<int> active = ws.Active(maxSteps), offsets = ws.Offsets(maxSteps + 1);
        int rows = offsets[maxSteps];
        ReadOnlySpan<float> x = ws.Input(d, rows * p);
        for (int l = 0; l < options.LstmLayers; l++)
        {
            var m = ws.StateM(d, batch * p);
            var c = ws.StateC(d, batch * h);
            for (int s = 0; s < batch; s++)
            {
                if (state is null) { m.Slice(s * p, p).Clear(); c.Slice(s * h, h).Clear(); }
                else state.Load(d, l, order[s], m.Slice(s * p, p), c.Slice(s * h, h));
            }

            var y = ws.LayerOutput(d, l, rows * p);
            lstm[d][l].Forward(x, maxSteps, active, offsets, m, c, y, ws.Direction(d));
            // Residual connection around every layer but the first; the carried state m stays the plain output.
            if (options.UseSkipConnections && l > 0) Kernels.VectorOps.Add(x[..y.Length], y);

            if (state is not null)
                for (int s = 0; s < batch; s++)
                    if (steps[s] > 0) state.Store(d, l, order[s], m.Slice(s * p, p), c.Slice(s * h, h));
            x = y;
        }
    }

    /// <summary>Frees the packed weights of every layer (native memory).</summary>
    public void Dispose()
    {
        encoder.Dispose();
        foreach (var direction in lstm)
            foreach (var layer in direction) layer.Dispose();
    }

    /// <summary>
    /// Token representations of every step of every row into the packed x [R, P]. Each distinct token of the batch is looked
    /// up once (the representation is context independent) and encoded only when not cached; &lt;S&gt; and &lt;/S&gt; come
    /// from the vectors computed at load.
    /// </summary>
    private void EncodeBatch(IReadOnlyList<IReadOnlyList<string>> sentences, Span<int> order, Span<int> steps, Span<int> offsets,
        Span<float> x, BiLmWorkspace ws)
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

        var encoded = ws.Inference.Tokens(distinct.Count * p);
        EncodeCached(ids, distinct.Count, encoded, ws);
        i = 0;
        for (int s = 0; s < batch; s++)
            for (int k = 0; k < steps[s] - 2; k++, i++)
                encoded.Slice(tokenOf[i] * p, p).CopyTo(x.Slice((offsets[k + 1] + s) * p, p));
    }
}
