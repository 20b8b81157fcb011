namespace ElmoNative;

/// <summary>
/// The layer activations of one sentence of a stream (stateless): [L + 1, n, D], as
/// <see cref="ElmoBatchOutput.ToArray(int)"/> gives them. Yielded by <c>ElmoModel.EmbedStreamAsync</c> in input order.
/// </summary>
public sealed class ElmoSentenceEmbedding
{
    internal ElmoSentenceEmbedding(long index, IReadOnlyList<string> tokens, int layerCount, int dim, float[] values)
    {
        Index = index;
        Tokens = tokens;
        LayerCount = layerCount;
        Dim = dim;
        Values = values;
    }

    /// <summary>Position of the sentence in the input (0-based).</summary>
    public long Index { get; }

    /// <summary>The sentence's tokens, as read from the input.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>n: tokens of the sentence (0 for an empty sentence, which has no vectors).</summary>
    public int Length => Tokens.Count;

    /// <summary>L + 1: the token layer plus one per LSTM layer.</summary>
    public int LayerCount { get; }

    /// <summary>D = 2P: width of every layer.</summary>
    public int Dim { get; }

    /// <summary>All activations [L + 1, n, D].</summary>
    public float[] Values { get; }

    /// <summary>Layer <paramref name="layer"/>: [n, D].</summary>
    public ReadOnlySpan<float> Layer(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)layer, (uint)LayerCount, nameof(layer));
        return Values.AsSpan(layer * Length * Dim, Length * Dim);
    }
}
