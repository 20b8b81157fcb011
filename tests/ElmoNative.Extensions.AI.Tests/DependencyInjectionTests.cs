using ElmoNative.Extensions.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ElmoNative.Extensions.AI.Tests;

/// <summary>AddElmoEmbeddingGenerator: the container resolves a working generator; the model is a singleton it disposes.</summary>
public class DependencyInjectionTests
{
    private static async Task<float[]> Vector(IEmbeddingGenerator<string, Embedding<float>> generator, string text) =>
        (await generator.GenerateAsync([text]))[0].Vector.ToArray();

    [Fact]
    public async Task DefaultModelResolvesAndWorks()
    {
        var services = new ServiceCollection();
        services.AddElmoEmbeddingGenerator();
        ElmoModel model;
        await using (var provider = services.BuildServiceProvider())
        {
            var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
            Assert.Same(provider.GetRequiredService<ElmoEmbeddingGenerator>(), generator);
            model = provider.GetRequiredService<ElmoModel>();
            Assert.Same(model, generator.GetService<ElmoModel>());
            Assert.Equal("default", generator.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);

            using var direct = new ElmoEmbeddingGenerator(model);
            string text = "The bank of the river.";
            Assert.Equal(await Vector(direct, text), await Vector(generator, text));
        }
        Assert.Throws<ObjectDisposedException>(() => model.Embed(["gone"])); // the container disposed its singleton
    }

    [Fact]
    public async Task DirectoryFactoryAndOptionsOverloads()
    {
        string directory = ElmoModel.FindDefaultDirectory()!;
        var byDirectory = new ServiceCollection()
            .AddElmoEmbeddingGenerator(directory, o => o.Pooling = Pooling.Max, new ElmoLoadOptions { Threads = 1 })
            .BuildServiceProvider();
        var generator = byDirectory.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        Assert.Equal(Pooling.Max, generator.GetService<ElmoEmbeddingGeneratorOptions>()!.Pooling);
        Assert.Equal(1, generator.GetService<ElmoModel>()!.Threads);

        int made = 0;
        var byFactory = new ServiceCollection()
            .AddElmoEmbeddingGenerator(_ => { made++; return ElmoModel.LoadDirectory(directory); }, o => o.ModelId = "mine")
            .BuildServiceProvider();
        var fromFactory = byFactory.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        Assert.Same(fromFactory, byFactory.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>());
        Assert.Equal(1, made);
        Assert.Equal("mine", fromFactory.GetService<EmbeddingGeneratorMetadata>()!.DefaultModelId);

        var byOptions = new ServiceCollection()
            .AddElmoEmbeddingGenerator(new ElmoEmbeddingGeneratorOptions { Pooling = Pooling.Max, Layers = ElmoLayerSelection.Top })
            .BuildServiceProvider();
        var fromOptions = byOptions.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        Assert.Equal(ElmoLayerSelection.Top, fromOptions.GetService<ElmoEmbeddingGeneratorOptions>()!.Layers);

        string text = "Stocks fell sharply on Monday.";
        var max = await Vector(generator, text);
        Assert.Equal(max, await Vector(new ElmoEmbeddingGenerator(generator.GetService<ElmoModel>()!, new() { Pooling = Pooling.Max }), text));
        Assert.NotEqual(max, await Vector(fromFactory, text)); // mean pooling there
        await byDirectory.DisposeAsync();
        await byFactory.DisposeAsync();
        await byOptions.DisposeAsync();
    }

    /// <summary>A logger factory that keeps the messages (a test double of the logging abstraction).</summary>
    private sealed class RecordingLoggerFactory : ILoggerFactory, ILogger
    {
        public List<(string Category, string Message)> Messages { get; } = [];

        private string category = "";

        public ILogger CreateLogger(string categoryName)
        {
            category = categoryName;
            return this;
        }

        public void AddProvider(ILoggerProvider provider) { }

        public void Dispose() { }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (Messages) Messages.Add((category, formatter(state, exception)));
        }
    }

    [Fact]
    public void TheContainersLoggerHearsTheLoad()
    {
        var loggers = new RecordingLoggerFactory();
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(loggers);
        services.AddElmoEmbeddingGenerator();
        using var provider = services.BuildServiceProvider();
        Assert.Empty(loggers.Messages); // loaded on first use
        provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();
        var (category, message) = Assert.Single(loggers.Messages);
        Assert.Equal(ElmoServiceCollectionExtensions.LoggerCategory, category);
        Assert.Contains("Loaded ELMo model", message);
    }
}
