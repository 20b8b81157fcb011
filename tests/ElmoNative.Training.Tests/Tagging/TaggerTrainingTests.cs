using ElmoNative.Training.Tagging;

namespace ElmoNative.Training.Tests.Tagging;

/// <summary>Training on synthetic features whose answer is known, and the tagger file's round trip.</summary>
public sealed class TaggerTrainingTests
{
    private const int Dim = 8, Classes = 4;

    /// <summary>
    /// Three layers per token: layer 1 holds the class as a one-hot-like signal, layers 0 and 2 are noise. The trained mix
    /// must put its largest weight on layer 1 and the tagger must get nearly every token right.
    /// </summary>
    private static (TokenFeatures Features, int[][] Labels) Synthetic(int sentences, int seed)
    {
        var random = new Random(seed);
        var arrays = new List<float[]>();
        var labels = new List<int[]>();
        for (int s = 0; s < sentences; s++)
        {
            int n = 3 + random.Next(6);
            var f = new float[n * 3 * Dim];
            var y = new int[n];
            for (int t = 0; t < n; t++)
            {
                y[t] = random.Next(Classes);
                for (int j = 0; j < 3; j++)
                    for (int d = 0; d < Dim; d++)
                        f[(t * 3 + j) * Dim + d] = (float)(random.NextDouble() * 2 - 1) * (j == 1 ? 0.3f : 1.5f);
                f[(t * 3 + 1) * Dim + y[t]] += 1.5f;
            }
            arrays.Add(f);
            labels.Add(y);
        }
        return (TokenFeatures.FromArrays(arrays, 3, Dim), labels.ToArray());
    }

    private static readonly TaggerModelReference Model = new("synthetic", new string('0', 64), 3, Dim);

    [Theory]
    [InlineData(0)]
    [InlineData(16)]
    public void LearnedMixFindsTheInformativeLayer(int hidden)
    {
        var (train, trainLabels) = Synthetic(300, 1);
        var (valid, validLabels) = Synthetic(60, 2);
        var tags = new TagSet(["A", "B", "C", "D"]);
        var progress = new List<TaggerTrainingProgress>();
        var tagger = TaggerTrainer.Train(Model, tags, train, trainLabels, valid, validLabels,
            new TaggerTrainingOptions { Scheme = TagScheme.AsWritten, Epochs = 8, Hidden = hidden, LearningRate = 0.2f },
            new Collector(progress));
        double accuracy = TaggerEvaluation.Accuracy(tagger.Predict(valid), validLabels);
        Assert.True(accuracy > 0.95, $"valid accuracy {accuracy}");
        var s = tagger.Network.MixWeights();
        Assert.True(s[1] > s[0] && s[1] > s[2], $"mix weights [{string.Join(", ", s)}]");
        Assert.Equal(8, progress.Count(p => p.ValidAccuracy is not null));
        // The result is the best epoch's parameters.
        Assert.Equal(progress.Where(p => p.ValidAccuracy is not null).Max(p => p.ValidAccuracy!.Value), accuracy, 12);
    }

    [Fact]
    public void SaveAndLoadGiveTheSameTagger()
    {
        var (train, trainLabels) = Synthetic(40, 3);
        var tags = new TagSet(["A", "B", "C", "D"]);
        var tagger = TaggerTrainer.Train(Model, tags, train, trainLabels, train, trainLabels,
            new TaggerTrainingOptions { Scheme = TagScheme.AsWritten, Epochs = 2, Hidden = 5 });
        using var dir = new TempFolder();
        string path = dir.Path_("t.tagger");
        tagger.Save(path);
        var loaded = PosTagger.Load(path);
        Assert.Equal(tagger.Network.Parameters, loaded.Network.Parameters);
        Assert.Equal(tagger.Tags.Tags, loaded.Tags.Tags);
        Assert.Equal(tagger.Model, loaded.Model);
        Assert.Equal(LayerMixMode.Learned, loaded.Mix);
        Assert.Equal(5, loaded.Hidden);
        Assert.Equal(tagger.Predict(train), loaded.Predict(train));
        Assert.Equal(["t.tagger"], dir.Entries()); // no temporary file left

        // A damaged file: one line naming it.
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"hidden\": 5", "\"hidden\": 6", StringComparison.Ordinal));
        var e = Assert.Throws<InvalidDataException>(() => PosTagger.Load(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("parameters", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownTagAtEvaluationNamesFileAndLine()
    {
        var tags = new TagSet(["NN", "VB"]);
        var e = Assert.Throws<InvalidDataException>(() => TaggerTrainer.Labels(
            [new TaggedSentence(["a"], ["NN"], 1), new TaggedSentence(["b", "c"], ["VB", "JJ"], 3)], tags, "eval.txt"));
        Assert.Contains("eval.txt:3:", e.Message, StringComparison.Ordinal);
        Assert.Contains("'JJ'", e.Message, StringComparison.Ordinal);
    }

    private sealed class Collector(List<TaggerTrainingProgress> list) : IProgress<TaggerTrainingProgress>
    {
        public void Report(TaggerTrainingProgress value) => list.Add(value);
    }
}
