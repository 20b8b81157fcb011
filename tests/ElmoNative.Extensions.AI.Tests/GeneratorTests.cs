using ElmoNative.Extensions.AI;
using Microsoft.Extensions.AI;

namespace ElmoNative.Extensions.AI.Tests;

/// <summary>
/// ElmoEmbeddingGenerator: its vectors are exactly the library's (Embed, ScalarMix, SentencePooling) for the string's
/// tokens; input order is kept across batches whatever the batching; bad input, cancellation, metadata, services and
/// disposal behave as documented.
/// </summary>
public class GeneratorTests
{
    private static readonly Lazy<ElmoModel> shared = new(() => ElmoModel.LoadDefault());

    internal static readonly string[] Texts =
    [
        "The river bank was flooded after the storm.",
        "I went to the bank to deposit my check.",
        "Don't worry, it's fine.",
        "Hello",
        "The committee met on Tuesday to discuss the new budget for the schools of the county, and after a long debate it voted.",
        "Rain.",
        "\"Why not?\" she asked (quietly).",
        "He's the U.S. ambassador.",
        "one two three four five six seven",
        "x",
        "It was the best of times, it was the worst of times.",
    ];

    /// <summary>The vector computed with the library directly: Embed one sentence, mix or take the top layer, pool.</summary>
    private static float[] Direct(ElmoModel model, string text, ElmoLayerSelection layers, Pooling pooling, ScalarMix? mix = null)
    {
        var tokens = PennTreebankTokenizer.Instance.Tokenize(text);
        var batch = model.Embed(tokens);
        var vector = new float[model.Dim];
        if (layers == ElmoLayerSelection.Top)
        {
            SentencePooling.Pool(batch.Layer(0, model.LayerCount - 1), model.Dim, pooling, vector);
            return vector;
        }
        var mixed = (mix ?? ScalarMix.Average(model.LayerCount)).Mix(batch); // [1, n, D]
        SentencePooling.Pool(mixed, model.Dim, pooling, vector);
        return vector;
    }

    private static bool Same(ReadOnlySpan<float> a, ReadOnlySpan<float> b) =>
        a.Length == b.Length && System.Runtime.InteropServices.MemoryMarshal.AsBytes(a).SequenceEqual(System.Runtime.InteropServices.MemoryMarshal.AsBytes(b));

    [Theory]
    [InlineData(ElmoLayerSelection.Average, Pooling.Mean)]
    [InlineData(ElmoLayerSelection.Average, Pooling.Max)]
    [InlineData(ElmoLayerSelection.Top, Pooling.Mean)]
    [InlineData(ElmoLayerSelection.Top, Pooling.Max)]
    [InlineData(ElmoLayerSelection.ScalarMix, Pooling.Mean)]
    public async Task VectorsEqualTheDirectLibraryComputation(ElmoLayerSelection layers, Pooling pooling)
    {
        var model = shared.Value;
        var mix = layers == ElmoLayerSelection.ScalarMix ? ScalarMix.FromParameters([0.5f, -1f, 2f], gamma: 1.5f) : null;
        using var generator = new ElmoEmbeddingGenerator(model, new ElmoEmbeddingGeneratorOptions { Layers = layers, Pooling = pooling, Mix = mix, BatchSize = 4 });
        var embeddings = await generator.GenerateAsync(Texts);
        Assert.Equal(Texts.Length, embeddings.Count);
        for (int i = 0; i < Texts.Length; i++)
        {
            Assert.Equal(model.Dim, embeddings[i].Dimensions);
            Assert.True(Same(Direct(model, Texts[i], layers, pooling, mix), embeddings[i].Vector.Span), $"text {i} differs");
        }
    }

    [Theory]
    [InlineData(1, true)]
    [InlineData(3, true)]
    [InlineData(3, false)]
    [InlineData(4, false)]
    [InlineData(64, true)]
    public async Task InputOrderIsKeptAcrossBatches(int batchSize, bool sort)
    {
        var model = shared.Value;
        using var reference = new ElmoEmbeddingGenerator(model, new ElmoEmbeddingGeneratorOptions { BatchSize = 1, SortByLength = false });
        using var generator = new ElmoEmbeddingGenerator(model, new ElmoEmbeddingGeneratorOptions { BatchSize = batchSize, SortByLength = sort });
        var texts = Texts.Concat(Texts.Reverse().Take(5)).ToArray(); // repeated strings too
        var expected = await reference.GenerateAsync(texts);
        var actual = await generator.GenerateAsync(texts);
        for (int i = 0; i < texts.Length; i++)
            Assert.True(Same(expected[i].Vector.Span, actual[i].Vector.Span), $"text {i} is not in its place");
        // Different strings give different vectors (the comparison above would not notice a shuffle otherwise).
        Assert.False(Same(actual[0].Vector.Span, actual[1].Vector.Span));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("\t\n")]
    public async Task EmptyOrWhitespaceStringIsRejectedWithItsIndex(string bad)
    {
        using var generator = new ElmoEmbeddingGenerator(shared.Value);
        var error = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["fine", "also fine", bad, "x"]));
        Assert.Contains("value 2 has no tokens", error.Message);
        Assert.Equal("values", error.ParamName);
    }

    [Fact]
    public async Task EmptyTokenFromACustomTokenizerIsRejected()
    {
        using var generator = new ElmoEmbeddingGenerator(shared.Value,
            new ElmoEmbeddingGeneratorOptions { Tokenizer = ElmoTokenizers.FromDelegate(t => t.Split(',')) });
        var error = await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["a,b", "a,,b"]));
        Assert.Contains("empty token (token 1) for value 1", error.Message);
    }

    [Fact]
    public async Task CustomTokenizerIsUsed()
    {
        var model = shared.Value;
        using var generator = new ElmoEmbeddingGenerator(model, new ElmoEmbeddingGeneratorOptions { Tokenizer = ElmoTokenizers.Whitespace, Layers = ElmoLayerSelection.Top });
        var vector = (await generator.GenerateAsync(["don't stop"]))[0].Vector;
        var expected = SentencePooling.Pool(model.Embed(["don't", "stop"]), 0, model.LayerCount - 1, Pooling.Mean);
        Assert.True(Same(expected, vector.Span));
    }

    [Fact]
    public async Task CanceledTokenStopsBeforeAnyWork()
    {
        using var model = ElmoModel.LoadDefault();
        using var generator = new ElmoEmbeddingGenerator(model);
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => generator.GenerateAsync(Texts, cancellationToken: cts.Token));
        Assert.Equal(0, model.TokenCacheStatistics.Hits + model.TokenCacheStatistics.Misses); // the model saw no token
    }

    [Fact]
    public async Task UsageCountsTokensAndEmbeddingsNameTheModel()
    {
        using var generator = new ElmoEmbeddingGenerator(shared.Value, new ElmoEmbeddingGeneratorOptions { ModelId = "brown" });
        var embeddings = await generator.GenerateAsync(["don't.", "Hello world"]);
        Assert.Equal(5, embeddings.Usage!.InputTokenCount); // do n't . | Hello world
        Assert.All(embeddings, e => Assert.Equal("brown", e.ModelId));
    }

    [Fact]
    public async Task MetadataServicesAndDimensions()
    {
        var model = shared.Value;
        using var generator = new ElmoEmbeddingGenerator(model, new ElmoEmbeddingGeneratorOptions { Pooling = Pooling.Max });
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>()!;
        Assert.Equal("ElmoNative", metadata.ProviderName);
        Assert.Equal("elmo", metadata.DefaultModelId);
        Assert.Equal(model.Dim, metadata.DefaultModelDimensions);
        Assert.Same(generator, generator.GetService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Same(generator, generator.GetService<ElmoEmbeddingGenerator>());
        Assert.Same(model, generator.GetService<ElmoModel>());
        Assert.Same(PennTreebankTokenizer.Instance, generator.GetService<IElmoTokenizer>());
        Assert.Equal(Pooling.Max, generator.GetService<ElmoEmbeddingGeneratorOptions>()!.Pooling);
        Assert.Null(generator.GetService<EmbeddingGeneratorMetadata>("some key"));
        Assert.Null(generator.GetService<string>());

        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(["a"], new EmbeddingGenerationOptions { Dimensions = 10 }));
        var same = await generator.GenerateAsync(["a"], new EmbeddingGenerationOptions { Dimensions = model.Dim });
        Assert.Equal(model.Dim, same[0].Dimensions);
    }

    [Fact]
    public void BadOptionsAreRejected()
    {
        var model = shared.Value;
        Assert.Throws<ArgumentOutOfRangeException>(() => new ElmoEmbeddingGenerator(model, new ElmoEmbeddingGeneratorOptions { BatchSize = 0 }));
        Assert.Throws<ArgumentException>(() => new ElmoEmbeddingGenerator(model, new ElmoEmbeddingGeneratorOptions { Layers = ElmoLayerSelection.ScalarMix }));
        Assert.Throws<ArgumentException>(() => new ElmoEmbeddingGenerator(model,
            new ElmoEmbeddingGeneratorOptions { Layers = ElmoLayerSelection.ScalarMix, Mix = ScalarMix.Average(2) }));
        var error = Assert.Throws<ArgumentException>(() => new ElmoEmbeddingGenerator(model,
            new ElmoEmbeddingGeneratorOptions { Layers = ElmoLayerSelection.ScalarMix, Mix = ScalarMix.FromParameters([0f, 0f, 0f], layerNorm: true) }));
        Assert.Contains("layer normalization", error.Message);
    }

    [Fact]
    public void OptionsAreCopied()
    {
        var options = new ElmoEmbeddingGeneratorOptions { BatchSize = 5 };
        using var generator = new ElmoEmbeddingGenerator(shared.Value, options);
        options.BatchSize = 0;
        Assert.Equal(5, generator.Options.BatchSize);
    }

    [Fact]
    public async Task DisposeDisposesTheModelOnlyWhenOwned()
    {
        var model = ElmoModel.LoadDefault();
        new ElmoEmbeddingGenerator(model).Dispose();
        Assert.Equal(1, model.Embed(["still", "usable"]).Count);
        var owning = new ElmoEmbeddingGenerator(model, ownsModel: true);
        owning.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.Embed(["gone"]));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => owning.GenerateAsync(["x"]));

        using var loaded = ElmoEmbeddingGenerator.LoadDefault();
        Assert.Equal("default", loaded.Metadata.DefaultModelId);
        var inner = loaded.Model;
        loaded.Dispose();
        Assert.Throws<ObjectDisposedException>(() => inner.Embed(["gone"]));
    }
}
