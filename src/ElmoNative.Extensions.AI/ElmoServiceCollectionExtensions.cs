using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace ElmoNative.Extensions.AI;

/// <summary>
/// Registers ELMo as the application's <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/> of strings
/// (docs/dotnet-ai.md): the <see cref="ElmoModel"/> as a singleton (loaded on first use, disposed by the container),
/// and <see cref="ElmoEmbeddingGenerator"/> as a singleton resolvable as itself and as
/// <c>IEmbeddingGenerator&lt;string, Embedding&lt;float&gt;&gt;</c>. When the container has an
/// <see cref="ILoggerFactory"/>, the load is logged (category <c>ElmoNative.ElmoModel</c>).
/// </summary>
public static class ElmoServiceCollectionExtensions
{
    /// <summary>The logger category of the model's load message.</summary>
    public const string LoggerCategory = "ElmoNative.ElmoModel";

    /// <summary>The default model (<see cref="ElmoModel.LoadDefault(ElmoLoadOptions?)"/>): models/default beside the application, or <c>$ELMONATIVE_DEFAULT_MODEL</c>.</summary>
    public static IServiceCollection AddElmoEmbeddingGenerator(this IServiceCollection services,
        Action<ElmoEmbeddingGeneratorOptions>? configure = null, ElmoLoadOptions? loadOptions = null) =>
        services.AddElmoEmbeddingGenerator(
            provider => ElmoModel.LoadDefault(WithLogger(loadOptions, provider)),
            Configure(configure, () => ElmoModel.FindDefaultDirectory() is { } d ? ElmoEmbeddingGenerator.ModelIdOf(d) : null));

    /// <summary>The model in <paramref name="modelDirectory"/> (options.json and weights.hdf5).</summary>
    public static IServiceCollection AddElmoEmbeddingGenerator(this IServiceCollection services, string modelDirectory,
        Action<ElmoEmbeddingGeneratorOptions>? configure = null, ElmoLoadOptions? loadOptions = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelDirectory);
        return services.AddElmoEmbeddingGenerator(
            provider => ElmoModel.LoadDirectory(modelDirectory, WithLogger(loadOptions, provider)),
            Configure(configure, () => ElmoEmbeddingGenerator.ModelIdOf(modelDirectory)));
    }

    /// <summary>The default model with the given generator options (copied).</summary>
    public static IServiceCollection AddElmoEmbeddingGenerator(this IServiceCollection services, ElmoEmbeddingGeneratorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var copy = options.Clone();
        return services.AddElmoEmbeddingGenerator(configure: o => Copy(copy, o));
    }

    /// <summary>
    /// The model made by <paramref name="modelFactory"/> (called once, when the model or the generator is first resolved;
    /// the container disposes the model). If an <see cref="ElmoModel"/> is already registered, that one is used.
    /// </summary>
    public static IServiceCollection AddElmoEmbeddingGenerator(this IServiceCollection services,
        Func<IServiceProvider, ElmoModel> modelFactory, Action<ElmoEmbeddingGeneratorOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(modelFactory);
        services.TryAddSingleton(modelFactory);
        services.TryAddSingleton(provider =>
        {
            var options = new ElmoEmbeddingGeneratorOptions();
            configure?.Invoke(options);
            return new ElmoEmbeddingGenerator(provider.GetRequiredService<ElmoModel>(), options, ownsModel: false);
        });
        services.TryAddSingleton<IEmbeddingGenerator<string, Embedding<float>>>(provider => provider.GetRequiredService<ElmoEmbeddingGenerator>());
        return services;
    }

    /// <summary>The caller's configuration, after a default model id taken from the model's folder.</summary>
    private static Action<ElmoEmbeddingGeneratorOptions> Configure(Action<ElmoEmbeddingGeneratorOptions>? configure, Func<string?> modelId) => o =>
    {
        o.ModelId = modelId();
        configure?.Invoke(o);
    };

    private static void Copy(ElmoEmbeddingGeneratorOptions from, ElmoEmbeddingGeneratorOptions to)
    {
        to.Tokenizer = from.Tokenizer;
        to.Layers = from.Layers;
        to.Mix = from.Mix;
        to.Pooling = from.Pooling;
        to.BatchSize = from.BatchSize;
        to.SortByLength = from.SortByLength;
        if (from.ModelId is not null) to.ModelId = from.ModelId;
    }

    /// <summary><paramref name="loadOptions"/> with the container's logger when it names none.</summary>
    private static ElmoLoadOptions WithLogger(ElmoLoadOptions? loadOptions, IServiceProvider provider)
    {
        var result = new ElmoLoadOptions
        {
            Logger = loadOptions?.Logger ?? provider.GetService<ILoggerFactory>()?.CreateLogger(LoggerCategory),
            Threads = loadOptions?.Threads,
            TokenCacheCapacity = loadOptions?.TokenCacheCapacity,
        };
        return result;
    }
}
