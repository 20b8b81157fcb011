using System.Globalization;
using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Parameters;

namespace ElmoNative.Layers;

/// <summary>
/// The bidirectional language model of ELMo at inference (docs/model.md sections 3-5): token representations (layer 0), then L
/// stacked LSTM layers per direction, a skip connection around every layer but the first when the options say so.
/// Each sentence of n tokens runs as n + 2 steps (&lt;S&gt;, tokens, &lt;/S&gt;); the backward direction runs the
/// same steps right to left, reversing each sentence by its own length.
/// <code>
///   x_0 = token representations (CachedTokenEncoder)        packed batch, longest sentence first (PackedBatch)
///   direction d: the LstmStack of d over x_0 (LSTM_l, skip connections; state: zeros, or the row's ElmoState) -> y_l
///   output [B, L + 1, T, 2P]: layer 0 = [x_0, x_0], layer l + 1 = [forward y_l, backward y_l], boundaries dropped
/// </code>
/// The training biLM runs the same <see cref="LstmStack"/> over fixed windows (ElmoNative.Training's BiLmDirection),
/// with dropout, the softmax and the backward pass.
/// </summary>
internal sealed class BiLm : IDisposable
{
    private readonly ElmoOptions options;
    private readonly CachedTokenEncoder tokens;
    private readonly LstmStack[] lstm; // [direction]

    /// <summary>Default number of tokens the LRU part of the token cache keeps for <c>original</c> (<see cref="DefaultCacheCapacityFor"/>).</summary>
    public const int DefaultCacheCapacity = 7_000;

    /// <summary>About the bytes the default token cache may hold when a miss is dear (<see cref="DefaultCacheCapacityFor"/>): smaller models keep more tokens in them.</summary>
    public const long DefaultCacheBytes = 24_000_000;

    /// <summary>
    /// The share of a token's LSTM work that a cache miss must cost for the cache to get all of <see cref="DefaultCacheBytes"/>:
    /// a third.
    /// </summary>
    public const double FullCacheMissShare = 1.0 / 3;

    /// <summary>
    /// The default capacity for <paramref name="options"/>, in whole thousands: the entries that fit in
    /// <see cref="DefaultCacheBytes"/> (P floats, W ids and 100 bytes of bookkeeping each, a bound: the native slots
    /// need about 30), scaled down for a model whose token encoder is cheap next to its LSTM. An entry saves the
    /// encoder's work on a miss, so its memory is worth less where that work is a small share of a token's
    /// (<see cref="MissShare"/>). <c>original</c>'s miss costs a quarter of its LSTM work per token, so it gets 0.71 of
    /// the bytes: 7,000 entries, 17 MB. <c>medium</c> (half) and <c>small</c> (1.8 times) get them all: 18,000 and
    /// 29,000 entries. With 7,000 entries instead of 10,000, <c>original</c> on 2,000 Brown sentences hits 74-75% of
    /// lookups instead of 76% and runs as fast (bench/README.md, "A flat resident set over a long stream").
    /// </summary>
    public static int DefaultCacheCapacityFor(ElmoOptions options)
    {
        long entry = 4L * options.ProjectionDim + 4L * options.MaxCharactersPerToken + 100;
        double bytes = DefaultCacheBytes * Math.Min(1, MissShare(options) / FullCacheMissShare);
        return (int)Math.Clamp((long)bytes / entry / 1000 * 1000, 1000, 100_000);
    }

    /// <summary>What a token cache miss costs over a token's LSTM work: <see cref="EncoderFlopsPerMiss"/> over <see cref="LstmFlopsPerStep"/>.</summary>
    public static double MissShare(ElmoOptions options) => EncoderFlopsPerMiss(options) / LstmFlopsPerStep(options);

    /// <summary>
    /// The token encoder's GEMM work for one token, in FLOPs (a multiply-add counts two): the highways (F x 2F each)
    /// and the projection (F x P, if F differs from P). The character convolutions, whose work depends on the token's
    /// length, are left out: a lower bound.
    /// </summary>
    public static double EncoderFlopsPerMiss(ElmoOptions options)
    {
        double f = options.FilterCount, p = options.ProjectionDim;
        return options.HighwayLayers * 2 * f * 2 * f + (options.HasTokenProjection ? 2 * f * p : 0);
    }

    /// <summary>
    /// The LSTM work of one step (one token position) in FLOPs: both directions' L layers, each x_t W_x and
    /// m_{t-1} W_h (P x 4H each) and the H x P projection.
    /// </summary>
    public static double LstmFlopsPerStep(ElmoOptions options)
    {
        double p = options.ProjectionDim, h = options.LstmDim;
        return 2.0 * options.LstmLayers * (2 * p * 4 * h + 2 * p * 4 * h + 2 * h * p);
    }

    public BiLm(ElmoOptions options, WeightSource weights)
    {
        this.options = options;
        var packed = LayerWeights.Packed(weights);
        tokens = new CachedTokenEncoder(options, new TokenEncoder(options, packed), DefaultCacheCapacityFor(options));
        lstm = [new LstmStack(options, 0, packed), new LstmStack(options, 1, packed)];
    }

    /// <summary>Layer 0: the token encoder behind its cache.</summary>
    public CachedTokenEncoder Tokens => tokens;

    /// <summary>The token encoder (layer 0).</summary>
    public TokenEncoder Encoder => tokens.Encoder;

    /// <summary>
    /// Runs the biLM on a batch and writes every layer (boundaries removed) into <paramref name="output"/>.
    /// With a <paramref name="state"/>, each row starts from and updates its stored state (docs/model.md section 5).
    /// </summary>
    public void Forward(IReadOnlyList<IReadOnlyList<string>> sentences, ElmoState? state, BiLmWorkspace ws, ElmoBatchOutput output)
    {
        if (sentences.Count == 0) return;
        int maxSteps = Run(sentences, state, ws);
        ReadOnlySpan<int> order = ws.Order(sentences.Count);
        for (int s = 0; s < sentences.Count; s++) UnpackRow(ws, s, maxSteps, output, order[s]);
    }

    /// <summary>
    /// Runs the biLM on a batch (stateless) and hands each sentence's layers to <paramref name="each"/>, one sentence at
    /// a time in <paramref name="sentenceOutput"/> (a one-row output, reused): the same values as
    /// <see cref="Forward(IReadOnlyList{IReadOnlyList{string}}, ElmoState?, BiLmWorkspace, ElmoBatchOutput)"/> writes,
    /// without a [B, L + 1, T, 2P] output for the whole batch. The sentences come in the batch's packed order;
    /// <paramref name="each"/> gets the index of the sentence in <paramref name="sentences"/>.
    /// </summary>
    public void ForwardEach(IReadOnlyList<IReadOnlyList<string>> sentences, BiLmWorkspace ws, ElmoBatchOutput sentenceOutput, Action<int, ElmoBatchOutput> each)
    {
        if (sentences.Count == 0) return;
        int maxSteps = Run(sentences, null, ws);
        var one = new IReadOnlyList<string>[1];
        for (int s = 0; s < sentences.Count; s++)
        {
            int b = ws.Order(sentences.Count)[s];
            one[0] = sentences[b];
            sentenceOutput.Reset(one, options.LstmLayers + 1, options.OutputDim, exact: false);
            UnpackRow(ws, s, maxSteps, sentenceOutput, 0);
            each(b, sentenceOutput);
        }
    }

    /// <summary>Token representations and the LSTM layers of both directions over the packed batch; returns the steps of its longest row.</summary>
    private int Run(IReadOnlyList<IReadOnlyList<string>> sentences, ElmoState? state, BiLmWorkspace ws)
    {
        int batch = sentences.Count, p = options.ProjectionDim;
        int maxSteps = PackedBatch.Pack(sentences, ws);
        ReadOnlySpan<int> order = ws.Order(batch), steps = ws.Steps(batch), offsets = ws.Offsets(maxSteps + 1);

        // Layer 0: token representations [R, P]; forward order and per-row reversed order.
        int rows = offsets[maxSteps];
        var forwardInput = ws.Input(0, rows * p);
        var backwardInput = ws.Input(1, rows * p);
        tokens.EncodeBatch(sentences, order, steps, offsets, forwardInput, backwardInput, ws); // (backwardInput as scratch)
        PackedBatch.Reverse(steps, offsets, p, forwardInput, backwardInput);

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
        ws.LstmLayers = options.LstmLayers;
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
        RequireFinite(rows, ws);
        return maxSteps;
    }

    /// <summary>
    /// Every layer's values must be finite: finite weights can still be large enough to overflow float32 (a damaged
    /// checkpoint), and a layer's infinity can hide behind the clipped layers above it, so each is checked
    /// (docs/formats.md, "Checks on load"). One scan of what the GEMMs wrote: a small cost next to computing it.
    /// </summary>
    private void RequireFinite(int rows, BiLmWorkspace ws)
    {
        int p = options.ProjectionDim;
        if (NonFinite.IndexOf(ws.Input(0, rows * p)) >= 0) throw Overflow("the token representations (layer 0)");
        for (int d = 0; d < 2; d++)
            for (int l = 0; l < options.LstmLayers; l++)
                if (NonFinite.IndexOf(ws.LayerOutput(d, l, rows * p)) >= 0)
                    throw Overflow(string.Create(CultureInfo.InvariantCulture, $"LSTM layer {l + 1} of the {(d == 0 ? "forward" : "backward")} direction"));
    }

    private static InvalidDataException Overflow(string where) =>
        new($"the model's weights make {where} overflow: a value is infinite or NaN (weights too large for float32; a damaged checkpoint?)");

    /// <summary>Frees the packed weights of every layer (native memory).</summary>
    public void Dispose()
    {
        tokens.Dispose();
        foreach (var direction in lstm) direction.Dispose();
    }

    /// <summary>The LSTM stack of direction <paramref name="d"/> over the packed batch described by <paramref name="ws"/>, on its share of the threads.</summary>
    private void RunDirection(int d, BiLmWorkspace ws)
    {
        using var limit = KernelSettings.LimitCurrentThread(Math.Max(1, ws.Threads / 2));
        int rows = ws.Offsets(ws.MaxSteps + 1)[ws.MaxSteps];
        lstm[d].Forward(ws.Input(d, rows * options.ProjectionDim), ws.State, ws);
    }

    /// <summary>
    /// Gathers row <paramref name="s"/> of the packed layers (the s-th longest sentence) into row <paramref name="b"/> of
    /// <paramref name="output"/> [B, L + 1, T, 2P], dropping &lt;S&gt; (step 0) and &lt;/S&gt; (step n + 1).
    /// </summary>
    private void UnpackRow(BiLmWorkspace ws, int s, int maxSteps, ElmoBatchOutput output, int b)
    {
        int p = options.ProjectionDim, layers = options.LstmLayers;
        ReadOnlySpan<int> steps = ws.Steps(ws.Batch), offsets = ws.Offsets(maxSteps + 1);
        int rows = offsets[maxSteps], n = steps[s] - 2;
        ReadOnlySpan<float> forwardInput = ws.Input(0, rows * p);
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
