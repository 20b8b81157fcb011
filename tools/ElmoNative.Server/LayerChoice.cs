namespace ElmoNative.Server;

/// <summary>
/// Which of a sentence's L + 1 layers an answer holds (docs/serve.md): all of them, the top one, or a
/// <see cref="ScalarMix"/> of them (the average, or weights of the request), and whether they are pooled over tokens.
/// The arithmetic is the library's: <see cref="ScalarMix.Mix(ElmoBatchOutput, Span{float})"/> and
/// <see cref="SentencePooling.Pool(ReadOnlySpan{float}, int, Pooling, Span{float})"/>, as
/// ElmoNative.Extensions.AI's generator applies them.
/// </summary>
internal sealed class LayerChoice
{
    private LayerChoice(string name, bool all, ScalarMix? mix, Pooling? pooling)
    {
        Name = name;
        All = all;
        Mix = mix;
        Pooling = pooling;
    }

    /// <summary><c>all</c>, <c>top</c>, <c>average</c> or <c>mix</c>.</summary>
    public string Name { get; }

    /// <summary>Every layer, token layer first.</summary>
    public bool All { get; }

    /// <summary>The mix, or null for the top layer (or all).</summary>
    public ScalarMix? Mix { get; }

    /// <summary>The reduction over tokens, or null for one vector per token.</summary>
    public Pooling? Pooling { get; }

    /// <summary>Every layer.</summary>
    public static LayerChoice AllLayers(Pooling? pooling) => new("all", true, null, pooling);

    /// <summary>The top LSTM layer.</summary>
    public static LayerChoice Top(Pooling? pooling) => new("top", false, null, pooling);

    /// <summary>The mean of the <paramref name="layerCount"/> layers (<see cref="ScalarMix.Average"/>).</summary>
    public static LayerChoice Average(int layerCount, Pooling? pooling) => new("average", false, ScalarMix.Average(layerCount), pooling);

    /// <summary>A scalar mix of the layers with <paramref name="weights"/> (no layer normalization: it would span the batch).</summary>
    public static LayerChoice Weighted(IReadOnlyList<float> weights, Pooling? pooling) => new("mix", false, ScalarMix.FromWeights(weights), pooling);

    /// <summary>Layers in an answer: L + 1 for all, else 1.</summary>
    public int OutputLayers(int layerCount) => All ? layerCount : 1;

    /// <summary>
    /// The values of sentence 0 of a one-row output: [layers, n, D] per token, or [layers, D] pooled (layers as
    /// <see cref="OutputLayers"/>).
    /// </summary>
    public float[] Extract(ElmoBatchOutput sentence)
    {
        int n = sentence.Lengths[0], d = sentence.Dim, top = sentence.LayerCount - 1;
        float[] tokens;
        if (All) tokens = sentence.ToArray(0);
        else if (Mix is null) tokens = sentence.Layer(0, top).ToArray();
        else
        {
            tokens = new float[sentence.MaxLength * d];
            Mix.Mix(sentence, tokens);
            if (tokens.Length != n * d) tokens = tokens[..(n * d)];
        }
        if (Pooling is not { } pooling) return tokens;
        int layers = tokens.Length / (n * d);
        var pooled = new float[layers * d];
        for (int l = 0; l < layers; l++)
            SentencePooling.Pool(tokens.AsSpan(l * n * d, n * d), d, pooling, pooled.AsSpan(l * d, d));
        return pooled;
    }
}
