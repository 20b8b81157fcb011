using SemanticSearch;

namespace ElmoNative.Extensions.AI.Tests;

/// <summary>The example end to end (container, default model, generator, cosine ranking) and what it prints.</summary>
public class SemanticSearchExampleTests
{
    [Fact]
    public async Task ParaphraseRanksFirstAndTheOutputIsTheRanking()
    {
        var output = new StringWriter();
        var ranking = await SemanticSearchDemo.RunAsync(output);

        Assert.Equal(SemanticSearchDemo.Documents.Count, ranking.Count);
        Assert.Equal(SemanticSearchDemo.Documents[0], ranking[0].Text); // the paraphrase of the query
        for (int i = 1; i < ranking.Count; i++) Assert.True(ranking[i - 1].Similarity >= ranking[i].Similarity);
        Assert.All(ranking, m => Assert.InRange(m.Similarity, -1f, 1f));
        Assert.Equal(SemanticSearchDemo.Documents.Order(), ranking.Select(m => m.Text).Order());

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal("model: default (256 dimensions)", lines[0]);
        Assert.Equal($"query: {SemanticSearchDemo.DefaultQuery}", lines[1]);
        Assert.Equal(2 + ranking.Count, lines.Length);
        Assert.Equal($"1. {ranking[0].Similarity:F3}  {SemanticSearchDemo.Documents[0]}", lines[2]);
    }

    [Fact]
    public async Task RankingFollowsTheQuery()
    {
        // Each document, used as the query, ranks itself first (similarity 1).
        var output = new StringWriter();
        foreach (string document in SemanticSearchDemo.Documents)
        {
            var ranking = await SemanticSearchDemo.RunAsync(output, document);
            Assert.Equal(document, ranking[0].Text);
            Assert.Equal(1f, ranking[0].Similarity, 1e-5f);
        }
    }
}
