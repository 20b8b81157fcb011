using ElmoNative.Checkpoints;
using ElmoNative.Parameters;

namespace ElmoNative.Layers;

/// <summary>
/// The context-independent token representation (docs/model.md section 3): character CNN, highway layers, projection to P.
/// This is layer 0 of ELMo. Shapes: charIds [N, W] -> [N, P].
/// <code>
///   forward:  h = CharCnn(ids)   h = Highway_k(h) for k = 0 .. K-1   y = h W_proj + b_proj   (y = h when F == P)
///   backward: the same layers in reverse: projection, Highway_{K-1} .. Highway_0, CharCnn
/// </code>
/// Inference encodes in chunks of <see cref="ChunkTokens"/> through scratch buffers and saves nothing; training keeps
/// every layer's saved state in a <see cref="TokenEncoderSaved"/>.
/// </summary>
internal sealed class TokenEncoder : IDisposable
{
    private readonly CharCnn cnn;
    private readonly Highway[] highways;
    private readonly Dense? projection; // absent when F == P

    public TokenEncoder(ElmoOptions options, LayerWeights weights)
    {
        cnn = new CharCnn(options, weights);
        highways = new Highway[options.HighwayLayers];
        for (int k = 0; k < highways.Length; k++) highways[k] = new Highway(k, cnn.Filters, weights);
        if (options.HasTokenProjection)
            projection = new Dense(weights.Matrix(CheckpointLayout.ProjectionWeight), weights.Tensor(CheckpointLayout.ProjectionBias));
        OutputDim = options.ProjectionDim;
    }

    /// <summary>The character CNN (its <see cref="CharCnn.PadAware"/> switch is what the equality tests flip).</summary>
    public CharCnn Cnn => cnn;

    /// <summary>The highway layers, in order.</summary>
    public IReadOnlyList<Highway> Highways => highways;

    /// <summary>The projection to P (null when F == P).</summary>
    public Dense? Projection => projection;

    /// <summary>W.</summary>
    public int CharsPerToken => cnn.CharsPerToken;

    /// <summary>P.</summary>
    public int OutputDim { get; }

    /// <summary>Tokens encoded per pass, which bounds the workspace (about 3 F floats per token: 1 MB each for F = 2,048); the GEMMs are as fast at 128 rows as at 256.</summary>
    public const int ChunkTokens = 128;

    /// <summary>Inference: charIds [N, W] -> output [N, P] (row stride P), N of any size (processed in chunks).</summary>
    public void Encode(ReadOnlySpan<int> charIds, int tokens, InferenceWorkspace ws, Span<float> output)
    {
        int w = cnn.CharsPerToken, f = cnn.Filters, p = OutputDim;
        for (int start = 0; start < tokens; start += ChunkTokens)
        {
            int n = Math.Min(ChunkTokens, tokens - start);
            var scratch = ws.EncoderScratch(n * f);
            Forward(charIds.Slice(start * w, n * w), n, scratch.Filters, output.Slice(start * p, n * p), scratch, null);
        }
    }

    /// <summary>Training: charIds [n, W] -> output [n, P]; <paramref name="saved"/> keeps what <see cref="Backward"/> needs.</summary>
    public void Forward(ReadOnlySpan<int> charIds, int n, TokenEncoderSaved saved, Span<float> output)
        => Forward(charIds, n, saved.Encoded.AsSpan(0, n * cnn.Filters), output, default, saved);

    /// <summary>The layers in order over n tokens, h [n, F] their running value: scratch buffers (inference) or kept in saved (training).</summary>
    private void Forward(ReadOnlySpan<int> charIds, int n, Span<float> h, Span<float> output, EncoderScratch scratch, TokenEncoderSaved? saved)
    {
        int f = cnn.Filters, p = OutputDim;
        if (saved is null) cnn.Forward(charIds, n, h);
        else cnn.Forward(charIds, n, saved.Cnn, h);
        for (int k = 0; k < highways.Length; k++)
        {
            if (saved is null) highways[k].Forward(h, n, scratch.Gate, scratch.Candidate, null);
            else highways[k].Forward(h, n, default, default, saved.Highways[k]);
        }
        if (projection is null) h.CopyTo(output);
        else projection.Forward(h, f, output, p, n);
    }

    /// <summary>
    /// Training: dOutput [n, P] is dL/d(token representation); the forward in reverse adds every weight gradient to the
    /// weights' gradients (the character ids get none).
    /// </summary>
    public void Backward(ReadOnlySpan<int> charIds, int n, TokenEncoderSaved saved, ReadOnlySpan<float> dOutput)
    {
        int f = cnn.Filters, p = OutputDim;
        var dh = saved.EncodedGradient.AsSpan(0, n * f);
        if (projection is null) dOutput[..(n * p)].CopyTo(dh);
        else projection.Backward(saved.Encoded.AsSpan(0, n * f), dOutput[..(n * p)], n, dh);
        for (int k = highways.Length - 1; k >= 0; k--) highways[k].Backward(dh, n, saved.Highways[k]);
        cnn.Backward(charIds, n, saved.Cnn, dh);
    }

    /// <summary>Frees the packed weights.</summary>
    public void Dispose()
    {
        cnn.Dispose();
        foreach (var highway in highways) highway.Dispose();
        projection?.Dispose();
    }
}

/// <summary>What the token encoder's training forward pass keeps for its backward pass, for up to a fixed number of tokens.</summary>
internal sealed class TokenEncoderSaved
{
    public TokenEncoderSaved(ElmoOptions options, int tokens)
    {
        int f = options.FilterCount;
        Cnn = new CharCnnSaved(tokens, options.MaxCharactersPerToken, options.CharEmbeddingDim, f);
        Highways = new HighwaySaved[options.HighwayLayers];
        for (int k = 0; k < Highways.Length; k++) Highways[k] = new HighwaySaved(tokens, f);
        Encoded = new float[tokens * f];
        EncodedGradient = new float[tokens * f];
    }

    /// <summary>The character CNN's.</summary>
    public CharCnnSaved Cnn { get; }

    /// <summary>Each highway layer's.</summary>
    public HighwaySaved[] Highways { get; }

    /// <summary>[N, F]: the CNN output, then each highway's in place; at the end the projection's input.</summary>
    public float[] Encoded { get; }

    /// <summary>Scratch [N, F]: dL/d(projection input), then back through the highways to the CNN output.</summary>
    public float[] EncodedGradient { get; }
}
