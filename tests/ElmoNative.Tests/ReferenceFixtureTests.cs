using Xunit.Abstractions;

namespace ElmoNative.Tests;

/// <summary>The original checkpoints reproduce their reference outputs (docs/model.md section 7).</summary>
public class ReferenceFixtureTests(ITestOutputHelper output)
{
    /// <summary>
    /// Top LSTM layer of all 30 sentences, stateful, batch i = [sentences[0][i], sentences[1][i], sentences[2][i]],
    /// compared with the reference dumps (forward and backward halves).
    /// </summary>
    [Theory]
    [InlineData("allennlp-elmo", "lm_weights.hdf5", "sentences.json")]
    [InlineData("bilm-tf-model", "lm_weights.hdf5", "lm_embeddings_sentences.json")]
    public void StatefulTopLayerMatchesReference(string fixture, string weights, string sentencesFile)
    {
        using var model = ElmoModel.Load(Fixtures.Path_(fixture, "options.json"), Fixtures.Path_(fixture, weights));
        var sentences = Fixtures.Sentences(Fixtures.Path_(fixture, sentencesFile));
        var state = model.CreateState();
        int p = model.Options.ProjectionDim;
        double maxError = 0;
        for (int i = 0; i < sentences[0].Length; i++)
        {
            var batch = new IReadOnlyList<string>[] { sentences[0][i], sentences[1][i], sentences[2][i] };
            var result = model.Embed(batch, state);
            for (int k = 0; k < 3; k++)
            {
                var (expected, shape) = Fixtures.ReadDataset(Fixtures.Path_(fixture, $"lm_embeddings_{k}.hdf5"), i.ToString());
                int n = batch[k].Count;
                Assert.Equal(new[] { 2, n, p }, shape);
                var top = result.Layer(k, model.LayerCount - 1);
                for (int t = 0; t < n; t++)
                    for (int j = 0; j < p; j++)
                    {
                        maxError = Math.Max(maxError, Math.Abs(expected[t * p + j] - top[t * 2 * p + j]));          // forward
                        maxError = Math.Max(maxError, Math.Abs(expected[(n + t) * p + j] - top[t * 2 * p + p + j])); // backward
                    }
            }
        }
        output.WriteLine($"{fixture}: max abs error over 30 sentences = {maxError:E2}");
        Assert.True(maxError <= 1e-5, $"max abs error {maxError:E2} exceeds 1e-5");
    }

    /// <summary>The 458 token representations of vocab_test.txt match elmo_token_embeddings.hdf5.</summary>
    [Fact]
    public void TokenEmbeddingsMatchReference()
    {
        using var model = ElmoModel.Load(Fixtures.AllenNlp("options.json"), Fixtures.AllenNlp("lm_weights.hdf5"));
        var vocab = File.ReadAllText(Fixtures.AllenNlp("vocab_test.txt")).Split('\n').Where(l => l.Length > 0).ToArray();
        Assert.Equal(458, vocab.Length);
        var (expected, shape) = Fixtures.ReadDataset(Fixtures.AllenNlp("elmo_token_embeddings.hdf5"), "embedding");
        Assert.Equal(new[] { 458, model.Options.ProjectionDim }, shape);
        var actual = model.EmbedTokens(vocab);
        double maxError = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"token embeddings: max abs error = {maxError:E2}");
        Assert.True(maxError <= 1e-5, $"max abs error {maxError:E2}");
    }
}
