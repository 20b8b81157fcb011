using System.Numerics.Tensors;
using ElmoNative.Extensions.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace SemanticSearch;

/// <summary>
/// Ranks a few sentences by the cosine similarity of their ELMo vectors to a query, with the generator resolved from a
/// dependency-injection container (docs/dotnet-ai.md, "Example").
/// </summary>
public static class SemanticSearchDemo
{
    /// <summary>The query searched for when none is given on the command line.</summary>
    public const string DefaultQuery = "The committee approved the new budget for the schools.";

    /// <summary>The sentences searched (the first is a paraphrase of the default query).</summary>
    public static IReadOnlyList<string> Documents { get; } =
    [
        "The board voted to accept the school budget.",
        "He played the piano at the church on Sunday.",
        "The soldiers marched across the river at dawn.",
        "She found an old letter from her mother in the attic.",
        "Rain fell on the fields all night long.",
    ];

    /// <summary>One ranked sentence.</summary>
    /// <param name="Text">The sentence.</param>
    /// <param name="Similarity">Cosine similarity of its vector to the query's.</param>
    public sealed record Match(string Text, float Similarity);

    /// <summary>
    /// Builds the container (the default model), embeds the query and <see cref="Documents"/>, and writes the ranking to
    /// <paramref name="output"/>, best first: one line per sentence, "rank. similarity  sentence".
    /// </summary>
    public static async Task<IReadOnlyList<Match>> RunAsync(TextWriter output, string? query = null, CancellationToken cancellationToken = default)
    {
        var services = new ServiceCollection();
        services.AddElmoEmbeddingGenerator(); // the default model: models/default beside the program
        await using var provider = services.BuildServiceProvider();
        var generator = provider.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>();

        query ??= DefaultQuery;
        var ranking = await RankAsync(generator, query, Documents, cancellationToken);
        var metadata = generator.GetService<EmbeddingGeneratorMetadata>();
        await output.WriteLineAsync($"model: {metadata?.DefaultModelId} ({metadata?.DefaultModelDimensions} dimensions)");
        await output.WriteLineAsync($"query: {query}");
        for (int i = 0; i < ranking.Count; i++)
            await output.WriteLineAsync($"{i + 1}. {ranking[i].Similarity:F3}  {ranking[i].Text}");
        return ranking;
    }

    /// <summary>
    /// <paramref name="documents"/> ordered by the cosine similarity of their vectors to the vector of
    /// <paramref name="query"/>, most similar first (one call to the generator for all of them).
    /// </summary>
    public static async Task<IReadOnlyList<Match>> RankAsync(IEmbeddingGenerator<string, Embedding<float>> generator, string query,
        IReadOnlyList<string> documents, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var embeddings = await generator.GenerateAsync([query, .. documents], cancellationToken: cancellationToken);
        var q = embeddings[0].Vector;
        return documents
            .Select((text, i) => new Match(text, TensorPrimitives.CosineSimilarity(q.Span, embeddings[i + 1].Vector.Span)))
            .OrderByDescending(m => m.Similarity)
            .ToList();
    }
}
