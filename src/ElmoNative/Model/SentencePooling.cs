namespace ElmoNative;

/// <summary>How the token vectors of a sentence are reduced to one sentence vector.</summary>
public enum Pooling
{
    /// <summary>The mean over the sentence's tokens, feature by feature: (1/n) sum_t h_t.</summary>
    Mean,

    /// <summary>The maximum over the sentence's tokens, feature by feature: max_t h_t.</summary>
    Max,
}

/// <summary>
/// One vector per sentence from its token vectors (docs/formats.md, "Sentence vectors"): the mean or the maximum over
/// tokens of one layer (or of a scalar mix of the layers), feature by feature.
/// </summary>
public static class SentencePooling
{
    /// <summary>
    /// Pools <paramref name="tokens"/> [n, D] (n = tokens.Length / D, at least 1) into <paramref name="destination"/> [D].
    /// </summary>
    public static void Pool(ReadOnlySpan<float> tokens, int dim, Pooling pooling, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dim, 1);
        if (tokens.Length == 0 || tokens.Length % dim != 0)
            throw new ArgumentException($"tokens hold {tokens.Length} values, not a positive multiple of D = {dim}", nameof(tokens));
        if (destination.Length < dim) throw new ArgumentException($"destination holds {destination.Length} values, fewer than D = {dim}", nameof(destination));
        var y = destination[..dim];
        int n = tokens.Length / dim;
        tokens[..dim].CopyTo(y);
        for (int t = 1; t < n; t++)
        {
            var h = tokens.Slice(t * dim, dim);
            if (pooling == Pooling.Max) System.Numerics.Tensors.TensorPrimitives.Max(y, h, y);
            else System.Numerics.Tensors.TensorPrimitives.Add(y, h, y);
        }
        if (pooling == Pooling.Mean) System.Numerics.Tensors.TensorPrimitives.Multiply(y, 1f / n, y);
        else if (pooling != Pooling.Max) throw new ArgumentOutOfRangeException(nameof(pooling), pooling, "unknown pooling");
    }

    /// <summary>Pools layer <paramref name="layer"/> of sentence <paramref name="sentence"/> of a batch into a new [D] array.</summary>
    public static float[] Pool(ElmoBatchOutput batch, int sentence, int layer, Pooling pooling)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var result = new float[batch.Dim];
        Pool(batch.Layer(sentence, layer), batch.Dim, pooling, result);
        return result;
    }
}
