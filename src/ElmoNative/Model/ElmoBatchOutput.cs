namespace ElmoNative;

/// <summary>
/// The layer activations of a batch of sentences, sentence boundaries removed (as AllenNLP's Elmo returns them).
/// Layout: <see cref="Activations"/> is [B, L + 1, T, D] with T the longest sentence and D = 2P;
/// layer 0 is the token representation written twice, layer l > 0 is [forward, backward] output of LSTM layer l.
/// Positions past a sentence's end are zero and have <see cref="Mask"/> false.
/// </summary>
public sealed class ElmoBatchOutput
{
    internal ElmoBatchOutput(int[] lengths, int layers, int dim)
    {
        Lengths = lengths;
        LayerCount = layers;
        Dim = dim;
        MaxLength = lengths.Length == 0 ? 0 : lengths.Max();
        Activations = new float[lengths.Length * layers * MaxLength * dim];
        Mask = new bool[lengths.Length * MaxLength];
        for (int b = 0; b < lengths.Length; b++) Mask.AsSpan(b * MaxLength, lengths[b]).Fill(true);
    }

    /// <summary>B: number of sentences.</summary>
    public int Count => Lengths.Count;

    /// <summary>Tokens of each sentence.</summary>
    public IReadOnlyList<int> Lengths { get; }

    /// <summary>L + 1: number of layers (token layer plus one per LSTM layer).</summary>
    public int LayerCount { get; }

    /// <summary>D = 2P: width of each layer.</summary>
    public int Dim { get; }

    /// <summary>T: tokens of the longest sentence (the padded width).</summary>
    public int MaxLength { get; }

    /// <summary>All activations [B, L + 1, T, D], zero past each sentence's end.</summary>
    public float[] Activations { get; }

    /// <summary>[B, T]: true where a real token is.</summary>
    public bool[] Mask { get; }

    /// <summary>Layer <paramref name="layer"/> of sentence <paramref name="sentence"/>: [n, D] for its n tokens.</summary>
    public ReadOnlySpan<float> Layer(int sentence, int layer) => LayerSpan(sentence, layer);

    internal Span<float> LayerSpan(int sentence, int layer) =>
        Activations.AsSpan(((sentence * LayerCount + layer) * MaxLength) * Dim, Lengths[sentence] * Dim);

    /// <summary>Vector of token <paramref name="token"/> in layer <paramref name="layer"/> of sentence <paramref name="sentence"/> [D].</summary>
    public ReadOnlySpan<float> Token(int sentence, int layer, int token) => Layer(sentence, layer).Slice(token * Dim, Dim);

    /// <summary>Copies sentence <paramref name="sentence"/> out as [L + 1, n, D].</summary>
    public float[] ToArray(int sentence)
    {
        int n = Lengths[sentence];
        var result = new float[LayerCount * n * Dim];
        for (int l = 0; l < LayerCount; l++) Layer(sentence, l).CopyTo(result.AsSpan(l * n * Dim));
        return result;
    }
}
