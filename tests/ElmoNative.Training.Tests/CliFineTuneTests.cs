using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ElmoNative.Checkpoints;
using PureHDF;

namespace ElmoNative.Training.Tests;

/// <summary>
/// <c>elmo train --init-from</c> (docs/training.md, "Fine-tuning") on a small shape: a tiny biLM trained on bilm-tf's
/// fixture, fine-tuned on a new "genre" (sentences of one pattern over the same words) that it never saw.
/// </summary>
[Collection(TrainingCliCollection.Name)]
public sealed class CliFineTuneTests
{
    private static string Data => DataFixtures.BilmTrain("data.txt");

    private static string Vocab => DataFixtures.BilmTrain("vocab.txt");

    private static string TinyOptions(TempFolder dir, string name = "train_options.json", Action<JsonObject>? change = null)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(DataFixtures.RepositoryRoot, "examples", "training", "tiny.json")))!.AsObject();
        node["n_epochs"] = 100;
        change?.Invoke(node);
        return dir.Write(name, node.ToJsonString());
    }

    /// <summary>Sentences "the ADJ NOUN VERB ADJ NOUN ." over words of the fixture's vocabulary.</summary>
    private static string Genre(int seed, int sentences)
    {
        string[] adjectives = ["neural", "continuous", "larger"], nouns = ["models", "networks", "embeddings", "words", "sequences"], verbs = ["make", "use", "increases"];
        var random = new Random(seed);
        string Pick(string[] words) => words[random.Next(words.Length)];
        return string.Concat(Enumerable.Range(0, sentences).Select(_ => $"the {Pick(adjectives)} {Pick(nouns)} {Pick(verbs)} {Pick(adjectives)} {Pick(nouns)} .\n"));
    }

    private static double Perplexity(string model, string text) =>
        double.Parse(Regex.Match(CliResult.Run("perplexity", "--model", model, "--input", text, "--no-progress").AssertOk().Stdout, @"average perplexity: ([0-9.]+)").Groups[1].Value, CultureInfo.InvariantCulture);

    private static float[] Dataset(string file, string name)
    {
        using var h5 = H5File.OpenRead(file);
        return h5.Dataset(name).Read<float[]>();
    }

    /// <summary>The tiny base model, trained on bilm-tf's fixture.</summary>
    private static string TrainBase(TempFolder dir)
    {
        string output = dir.Path_("base");
        CliResult.Run("train", "--options", TinyOptions(dir), "--vocab", Vocab, "--train", Data, "--output", output,
            "--seed", "3", "--checkpoint-every", "0", "--max-windows", "120", "--no-progress").AssertOk();
        return output;
    }

    [Fact]
    public void FineTuningLowersTheHeldOutPerplexityOfANewGenreAndTheResultLoads()
    {
        using var dir = new TempFolder();
        string baseModel = TrainBase(dir);
        string train = dir.Write("genre-train.txt", Genre(1, 80));
        string heldOut = dir.Write("genre-heldout.txt", Genre(2, 20));
        double before = Perplexity(baseModel, heldOut);

        // Options, vocabulary and hyper-parameters all come from the checkpoint folder.
        string tuned = dir.Path_("tuned");
        var run = CliResult.Run("train", "--init-from", baseModel, "--train", train, "--output", tuned, "--seed", "1",
            "--checkpoint-every", "0", "--max-windows", "60", "--no-progress").AssertOk();
        Assert.Contains($"fine-tuning from {Path.Combine(baseModel, "weights.hdf5")}: 32 of 32 softmax rows from the checkpoint", run.Stdout);
        double after = Perplexity(tuned, heldOut);
        Assert.True(after < 0.8 * before, $"held-out perplexity {before:F2} before, {after:F2} after fine-tuning");

        // The result is a checkpoint in the reference layout: it loads for inference and `elmo embed` writes vectors.
        using (var model = ElmoModel.LoadDirectory(tuned))
        {
            Assert.Equal(16, model.Options.ProjectionDim);
            var batch = model.Embed([["the", "neural", "networks"]]);
            Assert.Equal(3, model.LayerCount);
            Assert.True(batch.Layer(0, 2).ToArray().All(float.IsFinite));
        }
        CliResult.Run("embed", "--model", tuned, "--input", heldOut, "--output", dir.Path_("vectors.hdf5"), "--quiet").AssertOk();
        var inference = Checkpoint.Load(Path.Combine(tuned, "options.json"), Path.Combine(tuned, "weights.hdf5"));
        Assert.Equal(Checkpoint.CountParameters(inference.Options), inference.ParameterCount);
    }

    [Fact]
    public void TheWeightsComeFromTheCheckpoint()
    {
        using var dir = new TempFolder();
        string baseModel = TrainBase(dir);
        // A learning rate of 1e-30 leaves every weight where the checkpoint put it after one window.
        string still = TinyOptions(dir, "still.json", o => o["learning_rate"] = 1e-30);
        string tuned = dir.Path_("tuned");
        CliResult.Run("train", "--init-from", baseModel, "--options", still, "--train", dir.Write("t.txt", Genre(1, 10)), "--output", tuned,
            "--max-windows", "1", "--no-progress").AssertOk();
        foreach (string name in new[] { "char_embed", "CNN/W_cnn_2", "CNN_high_0/W_carry", "CNN_proj/W_proj", "RNN_0/RNN/MultiRNNCell/Cell1/LSTMCell/W_0", "RNN_1/RNN/MultiRNNCell/Cell0/LSTMCell/W_P_0", "softmax/W", "softmax/b" })
            Assert.Equal(Dataset(Path.Combine(baseModel, "weights.hdf5"), name), Dataset(Path.Combine(tuned, "weights.hdf5"), name), new ToleranceComparer(1e-6f));
    }

    [Fact]
    public void ASoftmaxTheCheckpointLacksStartsFreshAndNewWordsGetFreshRows()
    {
        using var dir = new TempFolder();
        string baseModel = TrainBase(dir);
        // A published-style folder: options.json and weights.hdf5 without softmax datasets, no vocab.txt.
        string published = dir.Path_("published");
        Checkpoint.Load(Path.Combine(baseModel, "options.json"), Path.Combine(baseModel, "weights.hdf5")).SaveDirectory(published);
        string options = TinyOptions(dir);
        string text = dir.Write("t.txt", Genre(1, 10));
        var fresh = CliResult.Run("train", "--init-from", published, "--options", options, "--vocab", Vocab, "--train", text,
            "--output", dir.Path_("fresh"), "--max-windows", "2", "--no-progress").AssertOk();
        Assert.Contains("0 of 32 softmax rows from the checkpoint", fresh.Stdout);
        Assert.Contains("has no softmax (softmax/W, softmax/b): the softmax starts fresh for the new vocabulary", fresh.Stdout);

        // A vocabulary with one more word: its row starts fresh, the other 32 come from the checkpoint (matched by word).
        string bigger = dir.Write("vocab33.txt", File.ReadAllText(Vocab).TrimEnd('\n') + "\nzebra\n");
        var grown = CliResult.Run("train", "--init-from", baseModel, "--vocab", bigger, "--train", text, "--output", dir.Path_("grown"),
            "--max-windows", "2", "--no-progress").AssertOk();
        Assert.Contains("32 of 33 softmax rows from the checkpoint (1 words are not in", grown.Stdout);
        Assert.Equal([33L, 16L], ShapeOf(Path.Combine(dir.Path_("grown"), "weights.hdf5"), "softmax/W"));
    }

    [Fact]
    public void OptionsWhoseShapesDisagreeWithTheCheckpointAreAOneLineErrorAndNothingIsWritten()
    {
        using var dir = new TempFolder();
        string baseModel = TrainBase(dir);
        string text = dir.Write("t.txt", Genre(1, 10));
        string wide = TinyOptions(dir, "wide.json", o => o["lstm"]!["dim"] = 48);
        string output = dir.Path_("tuned");
        string error = CliResult.Run("train", "--init-from", baseModel, "--options", wide, "--train", text, "--output", output, "--no-progress")
            .AssertError(1, wide, "lstm.dim", "checkpoint 32", "given 48", Path.Combine(baseModel, "options.json"));
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.False(Directory.Exists(output));
        string filters = TinyOptions(dir, "filters.json", o => o["char_cnn"]!["filters"] = new JsonArray(new JsonArray(1, 4), new JsonArray(2, 8)));
        CliResult.Run("train", "--init-from", baseModel, "--options", filters, "--train", text, "--output", output, "--no-progress")
            .AssertError(1, filters, "char_cnn.filters");
        Assert.False(Directory.Exists(output));
        // The checkpoint is an input: an output folder holding it is refused, even with --force.
        CliResult.Run("train", "--init-from", baseModel, "--train", text, "--output", baseModel, "--force", "--no-progress")
            .AssertError(2, "the output directory holds the input", Path.Combine(baseModel, "options.json"));
        Assert.True(File.Exists(Path.Combine(baseModel, "weights.hdf5")));
        // --resume and --init-from together are a usage error.
        CliResult.Run("train", "--init-from", baseModel, "--resume", baseModel, "--train", text, "--no-progress").AssertError(2, "--resume", "--init-from");
        Assert.Equal(["base", "filters.json", "t.txt", "train_options.json", "wide.json"], dir.Entries());
    }

    private static long[] ShapeOf(string file, string name)
    {
        using var h5 = H5File.OpenRead(file);
        return h5.Dataset(name).Space.Dimensions.Select(d => (long)d).ToArray();
    }

    private sealed class ToleranceComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance * Math.Max(1, Math.Abs(x));

        public int GetHashCode(float obj) => 0;
    }
}
