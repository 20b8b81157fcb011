namespace ElmoNative.Training.Tagging;

/// <summary>
/// The ELMo layers of every token of a set of sentences, computed once (stateless: a sentence's vectors depend only on
/// the sentence) and kept for all the epochs of training. Each sentence is one float32 array [n, layers, dim], token-major,
/// so the rows of a training batch are gathered with one copy per sentence. Only the layers the mix uses are kept
/// (all of them for <see cref="LayerMixMode.Learned"/>, one otherwise): 800 k Brown training tokens x 3 layers x 256
/// floats x 4 bytes = 2.4 GB with the default model (docs/tagger.md, "Memory").
/// </summary>
public sealed class TokenFeatures
{
    private readonly float[][] sentences;

    private TokenFeatures(float[][] sentences, int layers, int dim, long tokens)
    {
        this.sentences = sentences;
        Layers = layers;
        Dim = dim;
        Tokens = tokens;
    }

    /// <summary>Layers kept per token.</summary>
    public int Layers { get; }

    /// <summary>Floats per layer (2 x projection dim).</summary>
    public int Dim { get; }

    /// <summary>Number of sentences.</summary>
    public int Count => sentences.Length;

    /// <summary>Tokens in all.</summary>
    public long Tokens { get; }

    /// <summary>Floats per token (<see cref="Layers"/> x <see cref="Dim"/>).</summary>
    public int TokenSize => Layers * Dim;

    /// <summary>Sentence <paramref name="index"/>: [n, Layers, Dim].</summary>
    public ReadOnlySpan<float> Sentence(int index) => sentences[index];

    /// <summary>Number of tokens of sentence <paramref name="index"/>.</summary>
    public int Length(int index) => sentences[index].Length / TokenSize;

    /// <summary>
    /// Copies the tokens of the sentences <paramref name="indices"/>, in order, into <paramref name="buffer"/> [N, Layers, Dim]
    /// (grown when too small); returns N.
    /// </summary>
    public int Gather(IReadOnlyList<int> indices, ref float[] buffer)
    {
        ArgumentNullException.ThrowIfNull(indices);
        int total = 0;
        foreach (int i in indices) total += sentences[i].Length;
        if (buffer.Length < total) buffer = new float[total];
        int offset = 0;
        foreach (int i in indices)
        {
            sentences[i].CopyTo(buffer, offset);
            offset += sentences[i].Length;
        }
        return total / TokenSize;
    }

    /// <summary>The model layers kept for <paramref name="mode"/> (indices into the model's layers).</summary>
    public static int[] LayersFor(LayerMixMode mode, int modelLayers) => mode switch
    {
        LayerMixMode.Learned => Enumerable.Range(0, modelLayers).ToArray(),
        LayerMixMode.Top => [modelLayers - 1],
        LayerMixMode.Layer0 => [0],
        _ => throw new ArgumentOutOfRangeException(nameof(mode)),
    };

    /// <summary>
    /// Embeds <paramref name="words"/> with <paramref name="model"/>, <paramref name="batchSize"/> sentences at a time,
    /// keeping the layers of <paramref name="mode"/>. <paramref name="progress"/> receives the number of sentences done.
    /// </summary>
    public static TokenFeatures Compute(ElmoModel model, IReadOnlyList<IReadOnlyList<string>> words, LayerMixMode mode, int batchSize = 64,
                                        IProgress<long>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(words);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        int[] keep = LayersFor(mode, model.LayerCount);
        int dim = model.Dim, size = keep.Length * dim;
        var result = new float[words.Count][];
        var output = new ElmoBatchOutput();
        long tokens = 0;
        for (int start = 0; start < words.Count; start += batchSize)
        {
            cancellation.ThrowIfCancellationRequested();
            int count = Math.Min(batchSize, words.Count - start);
            var batch = new IReadOnlyList<string>[count];
            for (int b = 0; b < count; b++) batch[b] = words[start + b];
            model.Embed(batch, output);
            for (int b = 0; b < count; b++)
            {
                int n = batch[b].Count;
                var sentence = new float[n * size];
                for (int j = 0; j < keep.Length; j++)
                {
                    var layer = output.Layer(b, keep[j]); // [n, dim]
                    for (int t = 0; t < n; t++) layer.Slice(t * dim, dim).CopyTo(sentence.AsSpan(t * size + j * dim, dim));
                }
                result[start + b] = sentence;
                tokens += n;
            }
            progress?.Report(start + count);
        }
        return new TokenFeatures(result, keep.Length, dim, tokens);
    }

    /// <summary>Features made from given arrays (tests): each [n, layers, dim].</summary>
    public static TokenFeatures FromArrays(IReadOnlyList<float[]> sentences, int layers, int dim)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        long tokens = 0;
        foreach (var s in sentences)
        {
            if (s.Length % (layers * dim) != 0) throw new ArgumentException("a sentence's length is not a multiple of layers x dim", nameof(sentences));
            tokens += s.Length / (layers * dim);
        }
        return new TokenFeatures(sentences.ToArray(), layers, dim, tokens);
    }
}
