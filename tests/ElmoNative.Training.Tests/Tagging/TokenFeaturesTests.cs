using ElmoNative.Training.Tagging;

namespace ElmoNative.Training.Tests.Tagging;

/// <summary>The cached features are the model's own vectors of each sentence alone, token-major, only the layers asked for.</summary>
public sealed class TokenFeaturesTests
{
    private static readonly string[][] Sentences =
    [
        ["The", "bank", "of", "the", "river", "."],
        ["I", "went", "."],
        ["A", "much", "longer", "sentence", "than", "the", "others", "in", "this", "batch", "."],
        ["Bank"],
    ];

    [Theory]
    [InlineData(LayerMixMode.Learned)]
    [InlineData(LayerMixMode.Top)]
    [InlineData(LayerMixMode.Layer0)]
    public void FeaturesAreEachSentencesOwnLayers(LayerMixMode mode)
    {
        using var model = ElmoModel.LoadDirectory(Path.Combine(DataFixtures.Root, "allennlp-elmo"));
        var features = TokenFeatures.Compute(model, Sentences, mode, batchSize: 3);
        int[] layers = TokenFeatures.LayersFor(mode, model.LayerCount);
        Assert.Equal(layers.Length, features.Layers);
        Assert.Equal(Sentences.Sum(s => s.Length), features.Tokens);
        for (int s = 0; s < Sentences.Length; s++)
        {
            var alone = model.Embed(Sentences[s]);
            var cached = features.Sentence(s);
            Assert.Equal(Sentences[s].Length, features.Length(s));
            for (int t = 0; t < Sentences[s].Length; t++)
            {
                for (int j = 0; j < layers.Length; j++)
                {
                    var expected = alone.Token(0, layers[j], t);
                    var actual = cached.Slice((t * layers.Length + j) * model.Dim, model.Dim);
                    for (int d = 0; d < model.Dim; d++) Assert.Equal(expected[d], actual[d], 5);
                }
            }
        }
    }
}
