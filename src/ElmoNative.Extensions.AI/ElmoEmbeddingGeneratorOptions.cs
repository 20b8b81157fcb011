namespace ElmoNative.Extensions.AI;

/// <summary>Which biLM layers a sentence vector is made of.</summary>
public enum ElmoLayerSelection
{
    /// <summary>The mean of the L + 1 layers (token layer and every LSTM layer), each weighted 1 / (L + 1).</summary>
    Average,

    /// <summary>The top LSTM layer only.</summary>
    Top,

    /// <summary>The <see cref="ScalarMix"/> of <see cref="ElmoEmbeddingGeneratorOptions.Mix"/> (for example learned weights).</summary>
    ScalarMix,
}

/// <summary>
/// How <see cref="ElmoEmbeddingGenerator"/> turns a string into a vector: tokenizer, layers, pooling, batching
/// (docs/dotnet-ai.md).
/// </summary>
public sealed class ElmoEmbeddingGeneratorOptions
{
    /// <summary>Default of <see cref="BatchSize"/>.</summary>
    public const int DefaultBatchSize = 32;

    /// <summary>Splits each string into tokens. Default: <see cref="PennTreebankTokenizer"/>.</summary>
    public IElmoTokenizer Tokenizer { get; set; } = PennTreebankTokenizer.Instance;

    /// <summary>The layers the vector is made of. Default: <see cref="ElmoLayerSelection.Average"/>.</summary>
    public ElmoLayerSelection Layers { get; set; } = ElmoLayerSelection.Average;

    /// <summary>
    /// The mix used when <see cref="Layers"/> is <see cref="ElmoLayerSelection.ScalarMix"/>: L + 1 weights, without
    /// layer normalization (its statistics are taken over a whole batch, so a string's vector would depend on the
    /// other strings of the call).
    /// </summary>
    public ScalarMix? Mix { get; set; }

    /// <summary>Reduction over a string's tokens: <see cref="Pooling.Mean"/> (default) or <see cref="Pooling.Max"/>.</summary>
    public Pooling Pooling { get; set; } = Pooling.Mean;

    /// <summary>Strings embedded together in one batch (default 32). Vectors do not depend on it.</summary>
    public int BatchSize { get; set; } = DefaultBatchSize;

    /// <summary>
    /// Whether the strings of one call are sorted by token count before being cut into batches (default true: less
    /// padding, faster). Results are in input order either way and identical bit for bit.
    /// </summary>
    public bool SortByLength { get; set; } = true;

    /// <summary>
    /// The model id reported in the metadata and on each embedding. Default: the name of the model's folder when it was
    /// loaded from one through this library, else "elmo".
    /// </summary>
    public string? ModelId { get; set; }

    /// <summary>A copy (the generator keeps its own, so later changes to this object do not affect it).</summary>
    public ElmoEmbeddingGeneratorOptions Clone() => (ElmoEmbeddingGeneratorOptions)MemberwiseClone();

    /// <summary>Checks the options against a model with <paramref name="layerCount"/> layers.</summary>
    internal static void Validate(ElmoEmbeddingGeneratorOptions options, int layerCount)
    {
        if (options.Tokenizer is null) throw new ArgumentException("ElmoEmbeddingGeneratorOptions.Tokenizer is null", nameof(options));
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "ElmoEmbeddingGeneratorOptions.BatchSize must be at least 1");
        if (!Enum.IsDefined(options.Pooling)) throw new ArgumentOutOfRangeException(nameof(options), options.Pooling, "unknown ElmoEmbeddingGeneratorOptions.Pooling");
        if (!Enum.IsDefined(options.Layers)) throw new ArgumentOutOfRangeException(nameof(options), options.Layers, "unknown ElmoEmbeddingGeneratorOptions.Layers");
        if (options.Layers != ElmoLayerSelection.ScalarMix) return;
        if (options.Mix is null) throw new ArgumentException("ElmoEmbeddingGeneratorOptions.Layers is ScalarMix but Mix is null", nameof(options));
        if (options.Mix.LayerCount != layerCount)
            throw new ArgumentException($"ElmoEmbeddingGeneratorOptions.Mix has {options.Mix.LayerCount} weights but the model has {layerCount} layers", nameof(options));
        if (options.Mix.LayerNorm)
            throw new ArgumentException("ElmoEmbeddingGeneratorOptions.Mix uses layer normalization, whose statistics span a whole batch: a string's vector would depend on the other strings", nameof(options));
    }
}
