using ElmoNative.Text;

namespace ElmoNative.Layers;

/// <summary>
/// The bidirectional language model of ELMo (spec sections 3-5): token encoder, then L stacked LSTM layers per
/// direction. Each sentence of n tokens runs as n + 2 steps (&lt;S&gt;, tokens, &lt;/S&gt;); the backward direction runs the
/// same steps right to left, reversing each sentence by its own length. Inside a batch, sentences are sorted by
/// decreasing length (so finished rows drop out of the recurrent GEMM) and the order is restored on output.
/// </summary>
internal sealed class BiLm
{
    private readonly ElmoOptions options;
    private readonly TokenEncoder encoder;
    private readonly LstmWithProjection[][] lstm; // [direction][layer]
    private readonly float[] beginOfSentence, endOfSentence; // representations of <S> and </S> [P], computed once

    public BiLm(ElmoOptions options, Func<string, float[]> weights)
    {
        this.options = options;
        encoder = new TokenEncoder(options, weights);
        lstm = new LstmWithProjection[2][];
        for (int d = 0; d < 2; d++)
        {
            lstm[d] = new LstmWithProjection[options.LstmLayers];
            for (int l = 0; l < options.LstmLayers; l++) lstm[d][l] = new LstmWithProjection(options, d, l, weights);
        }
        var ws = new InferenceWorkspace();
        beginOfSentence = EncodeTokens([CharacterIds.BeginOfSentence], ws);
        endOfSentence = EncodeTokens([CharacterIds.EndOfSentence], ws);
    }

    public ElmoOptions Options => options;

    /// <summary>Context-independent representations of <paramref name="tokens"/> into output [N, P].</summary>
    public void EncodeTokens(IReadOnlyList<string> tokens, Span<float> output, InferenceWorkspace ws)
    {
        int w = options.MaxCharactersPerToken;
        for (int start = 0; start < tokens.Count; start += TokenEncoder.ChunkTokens)
        {
            int n = Math.Min(TokenEncoder.ChunkTokens, tokens.Count - start);
            var ids = ws.CharIds(n * w);
            for (int i = 0; i < n; i++) CharacterIds.Map(tokens[start + i], ids.Slice(i * w, w));
            encoder.Encode(ids, n, ws, output.Slice(start * options.ProjectionDim, n * options.ProjectionDim));
        }
    }

    public float[] EncodeTokens(IReadOnlyList<string> tokens, InferenceWorkspace ws)
    {
        var result = new float[tokens.Count * options.ProjectionDim];
        EncodeTokens(tokens, result, ws);
        return result;
    }

    /// <summary>
    /// Runs the biLM on a batch and writes every layer (boundaries removed) into <paramref name="output"/>.
    /// With a <paramref name="state"/>, each row starts from and updates its stored state (spec section 5).
    /// </summary>
    public void Forward(IReadOnlyList<IReadOnlyList<string>> sentences, ElmoState? state, BiLmWorkspace ws, ElmoBatchOutput output)
    {
        int batch = sentences.Count, p = options.ProjectionDim, h = options.LstmDim, layers = options.LstmLayers;
        if (batch == 0) return;

        // Sort rows by decreasing step count (stable): sorted row s holds sentence order[s].
        var order = ws.Order(batch);
        var steps = ws.Steps(batch);
        for (int b = 0; b < batch; b++) order[b] = b;
        order.Sort((x, y) => sentences[y].Count != sentences[x].Count ? sentences[y].Count.CompareTo(sentences[x].Count) : x.CompareTo(y));
        for (int s = 0; s < batch; s++) steps[s] = sentences[order[s]].Count == 0 ? 0 : sentences[order[s]].Count + 2;
        int maxSteps = steps[0];
        var active = ws.Active(maxSteps);
        for (int t = 0; t < maxSteps; t++)
        {
            int a = 0;
            while (a < batch && steps[a] > t) a++;
            active[t] = a;
        }

        // Layer 0: token representations, time-major [T, B, P]; forward order and per-row reversed order.
        int rows = maxSteps * batch;
        var forwardInput = ws.Input(0, rows * p);
        var backwardInput = ws.Input(1, rows * p);
        forwardInput.Clear();
        backwardInput.Clear();
        EncodeBatch(sentences, order, steps, batch, forwardInput, ws);
        for (int s = 0; s < batch; s++)
            for (int t = 0; t < steps[s]; t++)
                forwardInput.Slice((t * batch + s) * p, p).CopyTo(backwardInput.Slice(((steps[s] - 1 - t) * batch + s) * p, p));

        // The LSTM layers of both directions.
        for (int d = 0; d < 2; d++)
        {
            ReadOnlySpan<float> x = d == 0 ? forwardInput : backwardInput;
            for (int l = 0; l < layers; l++)
            {
                var m = ws.StateM(batch * p);
                var c = ws.StateC(batch * h);
                for (int s = 0; s < batch; s++)
                {
                    if (state is null) { m.Slice(s * p, p).Clear(); c.Slice(s * h, h).Clear(); }
                    else state.Load(d, l, order[s], m.Slice(s * p, p), c.Slice(s * h, h));
                }

                var y = ws.LayerOutput(d, l, rows * p);
                lstm[d][l].Forward(x, maxSteps, batch, active, m, c, y, ws.Inference);
                // Residual connection around every layer but the first; the carried state m stays the plain output.
                if (options.UseSkipConnections && l > 0) Kernels.VectorOps.Add(x[..y.Length], y);

                if (state is not null)
                    for (int s = 0; s < batch; s++)
                        if (steps[s] > 0) state.Store(d, l, order[s], m.Slice(s * p, p), c.Slice(s * h, h));
                x = y;
            }
        }

        // Gather into [B, L + 1, T, 2P], dropping <S> (step 0) and </S> (step n + 1).
        for (int s = 0; s < batch; s++)
        {
            int b = order[s], n = steps[s] - 2;
            if (n <= 0) continue;
            for (int k = 0; k < n; k++)
            {
                int forwardStep = k + 1, backwardStep = steps[s] - 1 - forwardStep;
                var token = forwardInput.Slice((forwardStep * batch + s) * p, p);
                var row0 = output.LayerSpan(b, 0).Slice(k * 2 * p, 2 * p);
                token.CopyTo(row0);
                token.CopyTo(row0[p..]);
                for (int l = 0; l < layers; l++)
                {
                    var row = output.LayerSpan(b, l + 1).Slice(k * 2 * p, 2 * p);
                    ws.LayerOutput(0, l, rows * p).Slice((forwardStep * batch + s) * p, p).CopyTo(row);
                    ws.LayerOutput(1, l, rows * p).Slice((backwardStep * batch + s) * p, p).CopyTo(row[p..]);
                }
            }
        }
    }

    /// <summary>
    /// Token representations of every step of every row into x [T, B, P]. Each distinct token of the batch is encoded
    /// once (the representation is context independent); &lt;S&gt; and &lt;/S&gt; come from the vectors computed at load.
    /// </summary>
    private void EncodeBatch(IReadOnlyList<IReadOnlyList<string>> sentences, Span<int> order, Span<int> steps, int batch,
        Span<float> x, BiLmWorkspace ws)
    {
        int p = options.ProjectionDim, w = options.MaxCharactersPerToken;
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
            endOfSentence.CopyTo(x.Slice(((steps[s] - 1) * batch + s) * p, p));
            foreach (string token in sentence)
            {
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
        encoder.Encode(ids, distinct.Count, ws.Inference, encoded);
        i = 0;
        for (int s = 0; s < batch; s++)
            for (int k = 0; k < steps[s] - 2; k++, i++)
                encoded.Slice(tokenOf[i] * p, p).CopyTo(x.Slice(((k + 1) * batch + s) * p, p));
    }
}
