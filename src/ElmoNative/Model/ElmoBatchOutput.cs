namespace ElmoNative;

/// <summary>
/// The layer activations of a batch of sentences, sentence boundaries removed (as AllenNLP's Elmo returns them).
/// Layout: <see cref="Activations"/> is [B, L + 1, T, D] with T the longest sentence and D = 2P;
/// layer 0 is the token representation written twice, layer l > 0 is [forward, backward] output of LSTM layer l.
/// Positions past a sentence's end are zero and have <see cref="Mask"/> false.
/// <para>
/// An output made with the public constructor can be passed to
/// <see cref="ElmoModel.Embed(IReadOnlyList{IReadOnlyList{string}}, ElmoBatchOutput, ElmoState?)"/> again and again:
/// its arrays are then reused (grown only when a batch needs more), so steady-state embedding allocates nothing.
/// Such reused arrays may be longer than the current batch needs; the batch occupies their first
/// <see cref="Size"/> (activations) and B x T (mask) values.
/// </para>
/// </summary>
public sealed class ElmoBatchOutput
{
    private int[] lengths = [];

    /// <summary>An empty output to be filled (and refilled) by the model.</summary>
    public ElmoBatchOutput()
    {
        Lengths = new LengthList(this);
        Activations = [];
        Mask = [];
    }

    internal ElmoBatchOutput(IReadOnlyList<IReadOnlyList<string>> sentences, int layers, int dim)
    {
        Lengths = new LengthList(this);
        Activations = [];
        Mask = [];
        Reset(sentences, layers, dim, exact: true);
    }

    /// <summary>B: number of sentences.</summary>
    public int Count { get; private set; }

    /// <summary>Tokens of each sentence.</summary>
    public IReadOnlyList<int> Lengths { get; }

    /// <summary>L + 1: number of layers (token layer plus one per LSTM layer).</summary>
    public int LayerCount { get; private set; }

    /// <summary>D = 2P: width of each layer.</summary>
    public int Dim { get; private set; }

    /// <summary>T: tokens of the longest sentence (the padded width).</summary>
    public int MaxLength { get; private set; }

    /// <summary>B x (L + 1) x T x D: the number of activation values of this batch.</summary>
    public int Size => Count * LayerCount * MaxLength * Dim;

    /// <summary>All activations [B, L + 1, T, D] (in the first <see cref="Size"/> values), zero past each sentence's end.</summary>
    public float[] Activations { get; private set; }

    /// <summary>[B, T] (in the first B x T values): true where a real token is.</summary>
    public bool[] Mask { get; private set; }

    /// <summary>Layer <paramref name="layer"/> of sentence <paramref name="sentence"/>: [n, D] for its n tokens.</summary>
    public ReadOnlySpan<float> Layer(int sentence, int layer) => LayerSpan(sentence, layer);

    internal Span<float> LayerSpan(int sentence, int layer)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)sentence, (uint)Count, nameof(sentence));
        return Activations.AsSpan(((sentence * LayerCount + layer) * MaxLength) * Dim, lengths[sentence] * Dim);
    }

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

    /// <summary>
    /// Makes room for <paramref name="activations"/> values ahead of the batches that will need them (at least doubling
    /// when it grows), so that a reused output grows a few times over a long stream instead of at each longer sentence:
    /// a grown array is garbage on the large-object heap until a full collection.
    /// </summary>
    internal void Reserve(long activations)
    {
        if (activations <= Activations.Length) return;
        Activations = new float[checked((int)Math.Max(activations, Math.Min(2L * Activations.Length, Array.MaxLength)))];
    }

    /// <summary>Shapes the output for a batch: zero activations, mask set; arrays exact (fresh) or grown only if needed (reused).</summary>
    internal void Reset(IReadOnlyList<IReadOnlyList<string>> sentences, int layers, int dim, bool exact)
    {
        int batch = sentences.Count, maxLength = 0;
        if (lengths.Length < batch) lengths = new int[exact ? batch : Math.Max(batch, 2 * lengths.Length)];
        for (int b = 0; b < batch; b++)
        {
            lengths[b] = sentences[b].Count;
            maxLength = Math.Max(maxLength, lengths[b]);
        }
        Count = batch;
        LayerCount = layers;
        Dim = dim;
        MaxLength = maxLength;
        int size = Size, maskSize = batch * maxLength;
        if (Activations.Length < size) Activations = new float[exact ? size : Math.Max(size, Activations.Length + Activations.Length / 2)];
        else Activations.AsSpan(0, size).Clear();
        if (Mask.Length < maskSize) Mask = new bool[exact ? maskSize : Math.Max(maskSize, Mask.Length + Mask.Length / 2)];
        else Mask.AsSpan(0, maskSize).Clear();
        for (int b = 0; b < batch; b++) Mask.AsSpan(b * maxLength, lengths[b]).Fill(true);
    }

    /// <summary>The first Count lengths, as a list that follows the output when it is reused.</summary>
    private sealed class LengthList(ElmoBatchOutput owner) : IReadOnlyList<int>
    {
        public int this[int index] => (uint)index < (uint)owner.Count ? owner.lengths[index] : throw new ArgumentOutOfRangeException(nameof(index));

        public int Count => owner.Count;

        public IEnumerator<int> GetEnumerator()
        {
            for (int i = 0; i < owner.Count; i++) yield return owner.lengths[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
