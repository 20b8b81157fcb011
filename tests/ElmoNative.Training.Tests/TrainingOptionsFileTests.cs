using System.Text.Json.Nodes;

namespace ElmoNative.Training.Tests;

public sealed class TrainingOptionsFileTests
{
    private static string Example(string name) => Path.Combine(DataFixtures.RepositoryRoot, "examples", "training", name);

    [Fact]
    public void BilmTfPublishedTrainingConfigParses()
    {
        // The dictionary of bilm-tf's bin/train_elmo.py (1B Word Benchmark: 768,648,884 tokens, 793,471 words).
        var o = TrainingOptionsFile.Load(Example("bilm-tf-original.json"));
        Assert.Equal([new CharFilter(1, 32), new(2, 32), new(3, 64), new(4, 128), new(5, 256), new(6, 512), new(7, 1024)], o.Model.Filters);
        Assert.Equal((16, 2, CharCnnActivation.Relu, 262, 50), (o.Model.CharEmbeddingDim, o.Model.HighwayLayers, o.Model.Activation, o.Model.CharacterCount, o.Model.MaxCharactersPerToken));
        Assert.Equal((4096, 512, 2, 3f, 3f, true), (o.Model.LstmDim, o.Model.ProjectionDim, o.Model.LstmLayers, o.Model.CellClip, o.Model.ProjectionClip, o.Model.UseSkipConnections));
        Assert.Equal((793471, 128, 20, 10, 768648884L, 0.1f, 10f, 8192), (o.VocabularySize, o.BatchSize, o.UnrollSteps, o.Epochs, o.TrainTokens, o.Dropout, o.ClipNorm, o.NegativeSamples));
        Assert.Equal((0.2f, 1f), (o.LearningRate, o.InitialAccumulator));
    }

    [Fact]
    public void BrownSmallConfigHasAboutFourMillionParameters()
    {
        var o = TrainingOptionsFile.Load(Example("brown-small.json"));
        var m = o.Model;
        long e = m.CharEmbeddingDim, f = m.FilterCount, p = m.ProjectionDim, h = m.LstmDim, v = o.VocabularySize;
        long cnn = 261 * e + m.Filters.Sum(x => (long)x.Width * e * x.Count + x.Count);
        long highway = m.HighwayLayers * 2 * (f * f + f);
        long projection = f * p + p;
        long lstm = 2L * m.LstmLayers * (2 * p * 4 * h + 4 * h + h * p);
        long softmax = v * p + v;
        long total = cnn + highway + projection + lstm + softmax;
        Assert.Equal(256, f);
        Assert.InRange(total, 3_500_000, 4_200_000);
        Assert.Equal(14116, o.VocabularySize);
    }

    [Fact]
    public void RoundTripGivesEqualOptionsAndTheTrainingForm()
    {
        var o = TrainingOptionsFile.Load(Example("brown-small.json")) with { TrainTokens = 835524, LearningRate = 0.3f };
        string json = TrainingOptionsFile.ToJson(o);
        var root = JsonNode.Parse(json)!;
        Assert.Equal(261, (int)root["char_cnn"]!["n_characters"]!);
        Assert.True((bool)root["bidirectional"]!);
        var back = TrainingOptionsFile.Parse(json, "x");
        Assert.Equal(o, back with { Model = o.Model });
        Assert.Equal(o.Model, back.Model);
        Assert.Empty(TrainingOptionsFile.Differences(o, back));
        Assert.Empty(TrainingOptionsFile.Differences(o, back with { Epochs = 99, TrainTokens = 5 }));
        Assert.Equal(["batch_size: 64 -> 32"], TrainingOptionsFile.Differences(o, back with { BatchSize = 32 }));
        Assert.Single(TrainingOptionsFile.Differences(o, back with { Model = back.Model with { LstmDim = 512 } }));
        // The inference options of the same model read back through the inference parser.
        Assert.Equal(o.Model, ElmoOptions.Parse(o.Model.ToJson()));
    }

    [Fact]
    public void DefaultsAreBilmTfsWhenKeysAreAbsent()
    {
        var node = JsonNode.Parse(File.ReadAllText(Example("tiny.json")))!.AsObject();
        foreach (string key in new[] { "batch_size", "unroll_steps", "n_epochs", "dropout", "all_clip_norm_val", "n_negative_samples_batch", "bidirectional" })
            node.Remove(key);
        node["n_tokens_vocab"] = 10000;
        var o = TrainingOptionsFile.Parse(node.ToJsonString(), "t.json");
        Assert.Equal((128, 20, 10, 0.1f, 10f, 8192, (long?)null), (o.BatchSize, o.UnrollSteps, o.Epochs, o.Dropout, o.ClipNorm, o.NegativeSamples, o.TrainTokens));
    }

    [Theory]
    [InlineData("n_tokens_vocab", null, "missing \"n_tokens_vocab\"")]
    [InlineData("n_tokens_vocab", "\"many\"", "\"n_tokens_vocab\" must be an integer")]
    [InlineData("batch_size", "0", "\"batch_size\" must be an integer of at least 1")]
    [InlineData("batch_size", "2.5", "\"batch_size\"")]
    [InlineData("unroll_steps", "-3", "\"unroll_steps\"")]
    [InlineData("n_epochs", "true", "\"n_epochs\"")]
    [InlineData("dropout", "1", "\"dropout\" must be a number between 0")]
    [InlineData("dropout", "\"0.1\"", "\"dropout\"")]
    [InlineData("all_clip_norm_val", "0", "\"all_clip_norm_val\" must be a number positive")]
    [InlineData("n_negative_samples_batch", "100", "must not exceed \"n_tokens_vocab\"")]
    [InlineData("n_train_tokens", "0", "\"n_train_tokens\" must be a positive integer")]
    [InlineData("bidirectional", "false", "\"bidirectional\" must be true")]
    [InlineData("bidirectional", "1", "\"bidirectional\" must be true or false")]
    [InlineData("learning_rate", "-0.2", "\"learning_rate\"")]
    public void BadValuesNameFileAndKey(string key, string? value, string message)
    {
        var node = JsonNode.Parse(File.ReadAllText(Example("tiny.json")))!.AsObject();
        if (value is null) node.Remove(key);
        else node[key] = JsonNode.Parse(value);
        var e = Assert.Throws<FormatException>(() => TrainingOptionsFile.Parse(node.ToJsonString(), "my/train.json"));
        Assert.StartsWith("my/train.json: ", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void ModelErrorsComeFromTheInferenceParser()
    {
        var node = JsonNode.Parse(File.ReadAllText(Example("tiny.json")))!.AsObject();
        node["lstm"]!["dim"] = "big";
        var e = Assert.Throws<FormatException>(() => TrainingOptionsFile.Parse(node.ToJsonString(), "t.json"));
        Assert.Contains("t.json: \"lstm.dim\"", e.Message);
        Assert.Throws<FormatException>(() => TrainingOptionsFile.Parse("[1]", "t.json"));
        Assert.Throws<FormatException>(() => TrainingOptionsFile.Parse("{", "t.json"));
    }
}
