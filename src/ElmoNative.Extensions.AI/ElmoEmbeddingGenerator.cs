using Microsoft.Extensions.AI;

namespace ElmoNative.Extensions.AI;

/// <summary>
/// ELMo sentence vectors for Microsoft.Extensions.AI: each string is tokenized (<see cref="ElmoEmbeddingGeneratorOptions.Tokenizer"/>),
/// run through the biLM (stateless: a string's vector depends only on the string) and pooled over its tokens
/// (<see cref="SentencePooling"/>) in the chosen layers (top, average of all, or a <see cref="ScalarMix"/>); see
/// docs/dotnet-ai.md.
/// <para>
/// The strings of one call are embedded in batches of <see cref="ElmoEmbeddingGeneratorOptions.BatchSize"/> (sorted by
/// length unless <see cref="ElmoEmbeddingGeneratorOptions.SortByLength"/> is false) on thread-pool threads; the
/// embeddings come back in input order. Cancellation is observed between batches. An empty or whitespace-only string
/// (or one the tokenizer turns into no tokens) is rejected with an <see cref="ArgumentException"/> naming its index,
/// before any work. Calls may run concurrently (the model is thread safe).
/// </para>
/// Dispose disposes the model only when the generator owns it (made by <see cref="LoadDirectory"/> /
/// <see cref="LoadDefault"/>, or constructed with <c>ownsModel: true</c>).
/// </summary>
public sealed class ElmoEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    /// <summary>The provider name of the metadata.</summary>
    public const string ProviderName = "ElmoNative";

    private readonly ElmoEmbeddingGeneratorOptions options;
    private readonly ScalarMix? mix; // null: the top layer alone
    private readonly bool ownsModel;
    private int disposed;

    /// <summary>A generator over <paramref name="model"/>.</summary>
    /// <param name="model">The biLM.</param>
    /// <param name="options">Tokenizer, layers, pooling, batching (copied; null: the defaults).</param>
    /// <param name="ownsModel">Whether <see cref="Dispose"/> disposes <paramref name="model"/>.</param>
    public ElmoEmbeddingGenerator(ElmoModel model, ElmoEmbeddingGeneratorOptions? options = null, bool ownsModel = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        this.options = options?.Clone() ?? new ElmoEmbeddingGeneratorOptions();
        ElmoEmbeddingGeneratorOptions.Validate(this.options, model.LayerCount);
        this.ownsModel = ownsModel;
        mix = this.options.Layers switch
        {
            ElmoLayerSelection.Top => null,
            ElmoLayerSelection.Average => ScalarMix.Average(model.LayerCount),
            _ => this.options.Mix,
        };
        Metadata = new EmbeddingGeneratorMetadata(ProviderName, providerUri: null, defaultModelId: this.options.ModelId ?? "elmo",
            defaultModelDimensions: model.Dim);
    }

    /// <summary>Loads the model of <paramref name="directory"/> (owned by the generator); the model id is the folder's name.</summary>
    public static ElmoEmbeddingGenerator LoadDirectory(string directory, ElmoEmbeddingGeneratorOptions? options = null, ElmoLoadOptions? loadOptions = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var model = ElmoModel.LoadDirectory(directory, loadOptions);
        return Owning(model, options, ModelIdOf(directory));
    }

    /// <summary>Loads the default model (<see cref="ElmoModel.LoadDefault(ElmoLoadOptions?)"/>, owned by the generator).</summary>
    public static ElmoEmbeddingGenerator LoadDefault(ElmoEmbeddingGeneratorOptions? options = null, ElmoLoadOptions? loadOptions = null)
    {
        var model = ElmoModel.LoadDefault(loadOptions);
        return Owning(model, options, ModelIdOf(ElmoModel.FindDefaultDirectory()!));
    }

    /// <summary>The name of a model folder, used as model id.</summary>
    internal static string ModelIdOf(string directory) => Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));

    private static ElmoEmbeddingGenerator Owning(ElmoModel model, ElmoEmbeddingGeneratorOptions? options, string modelId)
    {
        try
        {
            var withId = options?.Clone() ?? new ElmoEmbeddingGeneratorOptions();
            withId.ModelId ??= modelId;
            return new ElmoEmbeddingGenerator(model, withId, ownsModel: true);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The biLM.</summary>
    public ElmoModel Model { get; }

    /// <summary>Provider <see cref="ProviderName"/>, the model id, and D = 2P dimensions.</summary>
    public EmbeddingGeneratorMetadata Metadata { get; }

    /// <summary>A copy of the generator's options.</summary>
    public ElmoEmbeddingGeneratorOptions Options => options.Clone();

    /// <summary>D = 2P: dimensions of every vector.</summary>
    public int Dimensions => Model.Dim;

    /// <inheritdoc/>
    /// <remarks>
    /// <see cref="EmbeddingGenerationOptions.Dimensions"/>, when set, must equal <see cref="Dimensions"/>;
    /// <see cref="EmbeddingGenerationOptions.ModelId"/> is not used (a generator has one model).
    /// </remarks>
    /// <exception cref="ArgumentException">A string is null, empty, whitespace only or has no tokens (the message names its index).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was canceled (checked between batches).</exception>
    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(values);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        if (options?.Dimensions is { } dimensions && dimensions != Model.Dim)
            throw new ArgumentException($"EmbeddingGenerationOptions.Dimensions is {dimensions} but ELMo vectors of this model have {Model.Dim} dimensions", nameof(options));

        var sentences = Tokenize(values);
        int[] order = Enumerable.Range(0, sentences.Count).ToArray();
        if (this.options.SortByLength) order = [.. order.OrderBy(i => sentences[i].Count)]; // stable
        var vectors = new float[sentences.Count][];
        var output = new ElmoBatchOutput();
        float[] mixed = [];
        var batch = new List<IReadOnlyList<string>>(this.options.BatchSize);
        for (int start = 0; start < order.Length; start += this.options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            batch.Clear();
            int count = Math.Min(this.options.BatchSize, order.Length - start);
            for (int i = 0; i < count; i++) batch.Add(sentences[order[start + i]]);
            int first = start;
            await Task.Run(() =>
            {
                Model.Embed(batch, output);
                PoolBatch(output, count, ref mixed, (row, vector) => vectors[order[first + row]] = vector);
            }, cancellationToken).ConfigureAwait(false);
        }

        var created = DateTimeOffset.UtcNow;
        var result = new GeneratedEmbeddings<Embedding<float>>(vectors.Length);
        long tokens = 0;
        foreach (var sentence in sentences) tokens += sentence.Count;
        foreach (var vector in vectors)
            result.Add(new Embedding<float>(vector) { ModelId = Metadata.DefaultModelId, CreatedAt = created });
        result.Usage = new UsageDetails { InputTokenCount = tokens, TotalTokenCount = tokens };
        return result;
    }

    /// <summary>Tokenizes every value, rejecting those that give no token (before any work).</summary>
    private List<IReadOnlyList<string>> Tokenize(IEnumerable<string> values)
    {
        var sentences = new List<IReadOnlyList<string>>();
        int index = 0;
        foreach (string value in values)
        {
            if (value is null) throw new ArgumentException($"value {index} is null", nameof(values));
            var tokens = string.IsNullOrWhiteSpace(value) ? [] : options.Tokenizer.Tokenize(value);
            if (tokens is null || tokens.Count == 0)
                throw new ArgumentException($"value {index} has no tokens (it is empty or whitespace only): ELMo gives no vector for it", nameof(values));
            for (int k = 0; k < tokens.Count; k++)
                if (string.IsNullOrEmpty(tokens[k])) throw new ArgumentException($"the tokenizer gave an empty token (token {k}) for value {index}", nameof(values));
            sentences.Add(tokens);
            index++;
        }
        return sentences;
    }

    /// <summary>
    /// The vectors of the <paramref name="count"/> rows of a batch: the top layer, or the scalar mix of the layers
    /// (<see cref="ScalarMix.Mix(ElmoBatchOutput, Span{float})"/> into <paramref name="mixed"/>, grown as needed),
    /// pooled over each row's tokens.
    /// </summary>
    private void PoolBatch(ElmoBatchOutput output, int count, ref float[] mixed, Action<int, float[]> store)
    {
        int d = output.Dim, t = output.MaxLength;
        if (mix is not null)
        {
            if (mixed.Length < count * t * d) mixed = new float[count * t * d];
            mix.Mix(output, mixed);
        }
        for (int row = 0; row < count; row++)
        {
            var vector = new float[d];
            var tokens = mix is null
                ? output.Layer(row, output.LayerCount - 1)
                : mixed.AsSpan(row * t * d, output.Lengths[row] * d);
            SentencePooling.Pool(tokens, d, options.Pooling, vector);
            store(row, vector);
        }
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Without a key: <see cref="EmbeddingGeneratorMetadata"/>, the generator itself (any type it is), the
    /// <see cref="ElmoModel"/>, the <see cref="IElmoTokenizer"/> or a copy of the <see cref="ElmoEmbeddingGeneratorOptions"/>;
    /// null for anything else or any key.
    /// </remarks>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(EmbeddingGeneratorMetadata)) return Metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType == typeof(ElmoModel)) return Model;
        if (serviceType == typeof(IElmoTokenizer)) return options.Tokenizer;
        if (serviceType == typeof(ElmoEmbeddingGeneratorOptions)) return Options;
        return null;
    }

    /// <summary>Disposes the model if the generator owns it; the generator cannot be used afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        if (ownsModel) Model.Dispose();
    }
}
