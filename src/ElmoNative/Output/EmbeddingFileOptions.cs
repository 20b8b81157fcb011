namespace ElmoNative.Output;

/// <summary>Which layers of the biLM an embedding file holds per sentence (docs/formats.md).</summary>
public enum EmbeddingLayers
{
    /// <summary>Every layer: (L+1, n, 2P) per sentence (<c>--layers all</c>, AllenNLP's <c>--all</c>).</summary>
    All,

    /// <summary>The top layer: (n, 2P) (<c>--layers top</c>, <c>--top</c>).</summary>
    Top,

    /// <summary>The mean of the layers: (n, 2P) (<c>--layers average</c>, <c>--average</c>).</summary>
    Average,
}

/// <summary>How <see cref="EmbeddingFile"/> embeds and writes (the options of <c>elmo embed</c>).</summary>
public sealed record EmbeddingFileOptions
{
    /// <summary>The layers written per sentence.</summary>
    public EmbeddingLayers Layers { get; init; } = EmbeddingLayers.All;

    /// <summary>
    /// One vector per sentence instead of one per token: the mean or maximum over its tokens of the chosen layers,
    /// (L+1, 2P) with <see cref="EmbeddingLayers.All"/>, (2P) otherwise; null: every token.
    /// </summary>
    public Pooling? Pooling { get; init; }

    /// <summary>Sentences per batch.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>
    /// Carry the LSTM state from batch to batch (batch k is lines k B .. k B + B - 1), as AllenNLP's <c>elmo</c> command
    /// does; false: every sentence starts from a zero state.
    /// </summary>
    public bool Stateful { get; init; }

    /// <summary>How datasets are named and whether <c>sentence_to_index</c> is written.</summary>
    public EmbeddingFileLayout Layout { get; init; } = EmbeddingFileLayout.LineNumbersWithSentenceToIndex;

    /// <summary>
    /// Stateless only: read a window of upcoming sentences, sort it by length and embed it in internal batches of
    /// about <see cref="BatchTokens"/> padded tokens instead of <see cref="BatchSize"/> lines, then write it in input
    /// order. The file is the same bytes either way (a stateless sentence's vectors do not depend on its batch); only
    /// the speed and the memory differ. Progress is still reported every <see cref="BatchSize"/> sentences written.
    /// </summary>
    public bool Regroup { get; init; } = true;

    /// <summary>The most sentences a regrouping window holds; null: 128 x <see cref="BatchSize"/> (8,192 at the default batch size).</summary>
    public int? WindowSentences { get; init; }

    /// <summary>
    /// A regrouping window stops taking sentences once it holds this many tokens. Only its tokens are held (each
    /// sentence's values go to their place in the file as soon as its internal batch is done), so a large window costs
    /// little memory and groups lengths better: 8,192 -> 65,536 tokens took `original` from 2,145 to 2,300 tokens/s at
    /// the same peak memory (bench/README.md).
    /// </summary>
    public int WindowTokens { get; init; } = 65536;

    /// <summary>
    /// The padded tokens (rows x longest row) of an internal batch of a regrouping window (the model's scratch grows
    /// with them and with <see cref="BatchRows"/>; 1,024 tokens and 64 rows save ~27 MB for `original` but cost ~6% CPU:
    /// bench/README.md, "Memory"). Null (the default): sized by the model's width, 2,048 for `original` (P = 512),
    /// 4,096 for P = 256, 8,192 for P = 128, so that the activations take about the same memory.
    /// </summary>
    public int? BatchTokens { get; init; }

    /// <summary>
    /// The most sentences (rows) of an internal batch: of a regrouping window, it bounds the batches of very short
    /// sentences, whose per-step scratch grows with the rows (bench/README.md, "Memory"); without regrouping (stateful),
    /// a batch of <see cref="BatchSize"/> lines is embedded in chunks of this many rows, each continuing its own rows'
    /// state, so that the activations in memory are one chunk's whatever the batch size (the same values, bit for bit).
    /// Null (the default): sized by the model's cell width, 128 for `original` (H = 4096), 256 for H = 2048, 512 for H = 1024.
    /// </summary>
    public int? BatchRows { get; init; }

    /// <summary>The default of <see cref="MaxSentenceTokens"/>.</summary>
    public const int DefaultMaxSentenceTokens = 10_000;

    /// <summary>
    /// The most tokens of one sentence (line): a longer one is an <see cref="InvalidDataException"/> naming its line,
    /// since a sentence is embedded whole and its memory grows with its length (about 25 KB a token for `original`).
    /// </summary>
    public int MaxSentenceTokens { get; init; } = DefaultMaxSentenceTokens;
}

/// <summary>Sentences and tokens embedded and written so far (a progress report), or in all (the result).</summary>
/// <param name="Sentences">Sentences (input lines) written.</param>
/// <param name="Tokens">Their tokens.</param>
public readonly record struct EmbeddingFileProgress(long Sentences, long Tokens);
