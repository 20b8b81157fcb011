using ElmoNative.Checkpoints;
using ElmoNative.Parameters;

namespace ElmoNative.Layers;

/// <summary>
/// The context-independent token representation (spec section 3): character CNN, highway layers, projection to P.
/// This is layer 0 of ELMo. Shapes: charIds [N, W] -> [N, P].
/// </summary>
internal sealed class TokenEncoder : IDisposable
{
    private readonly CharCnn cnn;
    private readonly Highway[] highways;
    private readonly Dense? projection; // absent when F == P

    public TokenEncoder(ElmoOptions options, WeightSource weights)
    {
        var packed = LayerWeights.Packed(weights);
        cnn = new CharCnn(options, packed);
        highways = new Highway[options.HighwayLayers];
        for (int k = 0; k < highways.Length; k++) highways[k] = new Highway(k, cnn.Filters, packed);
        if (options.HasTokenProjection)
            projection = new Dense(packed.Matrix(CheckpointLayout.ProjectionWeight), packed.Tensor(CheckpointLayout.ProjectionBias));
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

    /// <summary>Tokens encoded per pass, which bounds the workspace.</summary>
    public const int ChunkTokens = 256;

    /// <summary>charIds [N, W] -> output [N, P] (row stride P), N of any size (processed in chunks).</summary>
    public void Encode(ReadOnlySpan<int> charIds, int tokens, InferenceWorkspace ws, Span<float> output)
    {
        int w = cnn.CharsPerToken, f = cnn.Filters, p = OutputDim;
        for (int start = 0; start < tokens; start += ChunkTokens)
        {
            int n = Math.Min(ChunkTokens, tokens - start);
            var h = ws.Filters(n * f);
            cnn.Forward(charIds.Slice(start * w, n * w), n, ws.Embedded(cnn.WorkspaceSize(n)), ws.DistinctPositions(n), h);
            foreach (var highway in highways) highway.Forward(h, n, ws.Gate(n * f), ws.Candidate(n * f), saved: null);
            var y = output.Slice(start * p, n * p);
            if (projection is null) h.CopyTo(y);
            else projection.Forward(h, f, y, p, n);
        }
    }

    /// <summary>Frees the packed weights.</summary>
    public void Dispose()
    {
        cnn.Dispose();
        foreach (var highway in highways) highway.Dispose();
        projection?.Dispose();
    }
}
