using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using PureHDF;

namespace ElmoNative.Training.Tests;

/// <summary>
/// <c>elmo train</c> and <c>elmo perplexity</c> end to end on bilm-tf's training fixture (5 sentences, 32-word
/// vocabulary) with the tiny configuration of examples/training/tiny.json (B 4, T 10, H 32, P 16, 2 layers).
/// </summary>
[Collection(TrainingCliCollection.Name)]
public sealed class CliTrainTests
{
    private static string Data => DataFixtures.BilmTrain("data.txt");

    private static string Vocab => DataFixtures.BilmTrain("vocab.txt");

    private static string TinyOptions(TempFolder dir, int epochs = 100, Action<JsonObject>? change = null)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(DataFixtures.RepositoryRoot, "examples", "training", "tiny.json")))!.AsObject();
        node["n_epochs"] = epochs;
        change?.Invoke(node);
        return dir.Write("train_options.json", node.ToJsonString());
    }

    private static double Figure(string text, string pattern) =>
        double.Parse(Regex.Match(text, pattern).Groups[1].Value, CultureInfo.InvariantCulture);

    private static float[] Dataset(string file, string name)
    {
        using var h5 = H5File.OpenRead(file);
        return h5.Dataset(name).Read<float[]>();
    }

    [Fact]
    public void TrainingOnTheBilmTfFixtureReachesPerplexityUnder20AndPerplexityCommandAgrees()
    {
        // bilm-tf's own test trains on this text and requires a training perplexity under 20.
        using var dir = new TempFolder();
        string output = dir.Path_("model");
        var run = CliResult.Run("train", "--options", TinyOptions(dir), "--vocab", Vocab, "--train", Data, "--valid", Data,
            "--output", output, "--seed", "3", "--checkpoint-every", "40", "--max-windows", "120", "--no-progress").AssertOk();
        Assert.StartsWith("train: 120 windows, 4800 tokens per direction, ", run.Summary); // stderr holds the summary only
        Assert.Equal(3, Regex.Count(run.Stdout, "^window ", RegexOptions.Multiline));
        double train = Figure(run.Stdout, @"final train perplexity ([0-9.]+)");
        double valid = Figure(run.Stdout, @"trained .* valid perplexity ([0-9.]+)");
        Assert.InRange(train, 1, 20);
        Assert.InRange(valid, 1, 20); // the full softmax on the training text itself
        Assert.Contains("trained 120 windows (4800 tokens per direction)", run.Stdout);
        foreach (string f in new[] { "options.json", "weights.hdf5", "train_options.json", "reader_position.json", "vocab.txt", "training_state.json", "training_state.hdf5" })
            Assert.True(File.Exists(Path.Combine(output, f)), f);
        Assert.Equal([Path.GetFileName(output), "train_options.json"], dir.Entries()); // no temporary directory left

        var ppl = CliResult.Run("perplexity", "--model", output, "--input", Data, "--no-progress").AssertOk();
        double forward = Figure(ppl.Stdout, @"forward perplexity: ([0-9.]+)");
        double backward = Figure(ppl.Stdout, @"backward perplexity: ([0-9.]+)");
        double average = Figure(ppl.Stdout, @"average perplexity: ([0-9.]+)");
        Assert.Equal(Math.Sqrt(forward * backward), average, 0.01);
        Assert.Equal(valid, average, 0.006);
        Assert.Contains("tokens: 139 (5 sentences, 134 words)", ppl.Stdout);

        // The checkpoint loads in the inference path.
        using var model = ElmoModel.LoadDirectory(output);
        Assert.Equal(16, model.Options.ProjectionDim);
        Assert.Equal(262, model.Options.CharacterCount);
    }

    [Fact]
    public void ResumeEqualsUninterrupted()
    {
        using var dir = new TempFolder();
        string options = TinyOptions(dir);
        string[] common = ["--options", options, "--vocab", Vocab, "--train", Data, "--valid", Data, "--seed", "7", "--checkpoint-every", "20", "--no-progress"];
        var whole = CliResult.Run(["train", .. common, "--output", dir.Path_("whole"), "--max-windows", "60"]).AssertOk();
        CliResult.Run(["train", .. common, "--output", dir.Path_("parts"), "--max-windows", "30"]).AssertOk();
        var resumed = CliResult.Run("train", "--resume", dir.Path_("parts"), "--train", Data, "--valid", Data, "--max-windows", "60", "--checkpoint-every", "20", "--no-progress").AssertOk();
        // Windows 41-60 are averaged in both runs' last checkpoint line.
        string Last(string stdout) => stdout.Split('\n').Single(l => l.StartsWith("window 60/60", StringComparison.Ordinal)).Replace(dir.Path_("whole"), "").Replace(dir.Path_("parts"), "");
        Assert.Equal(Last(whole.Stdout), Last(resumed.Stdout));
        foreach (string name in new[] { "char_embed", "softmax/W", "RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_0", "CNN_proj/W_proj" })
            Assert.Equal(Dataset(Path.Combine(dir.Path_("whole"), "weights.hdf5"), name), Dataset(Path.Combine(dir.Path_("parts"), "weights.hdf5"), name));
        Assert.Equal(File.ReadAllText(Path.Combine(dir.Path_("whole"), "reader_position.json")), File.ReadAllText(Path.Combine(dir.Path_("parts"), "reader_position.json")));
    }

    [Fact]
    public void CtrlCSavesACheckpointThatResumesExactly()
    {
        using var dir = new TempFolder();
        string options = TinyOptions(dir);
        string[] common = ["--options", options, "--vocab", Vocab, "--train", Data, "--seed", "5", "--checkpoint-every", "0", "--no-progress"];
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        string stopped = dir.Path_("stopped");
        var interrupted = CliResult.Run(TextReader.Null, cancelled.Token, ["train", .. common, "--output", stopped, "--max-windows", "15"]);
        Assert.Equal(130, interrupted.ExitCode);
        Assert.StartsWith("training ", interrupted.Stdout); // the opening line only
        Assert.Equal($"elmo: interrupted at window 0; checkpoint saved in {stopped} (continue with --resume {stopped})", interrupted.Stderr.TrimEnd());
        Assert.Equal(0, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(stopped, "reader_position.json")))!["windows"]!);
        CliResult.Run("train", "--resume", stopped, "--train", Data, "--max-windows", "15", "--no-progress").AssertOk();
        CliResult.Run(["train", .. common, "--output", dir.Path_("straight"), "--max-windows", "15"]).AssertOk();
        Assert.Equal(Dataset(Path.Combine(dir.Path_("straight"), "weights.hdf5"), "softmax/W"), Dataset(Path.Combine(stopped, "weights.hdf5"), "softmax/W"));
        // Resuming a finished run has nothing to do and changes nothing.
        var again = CliResult.Run("train", "--resume", stopped, "--train", Data, "--max-windows", "15", "--no-progress").AssertOk();
        Assert.Contains("nothing to do", again.Stdout);
    }

    [Fact]
    public void AnExistingOutputIsNeverOverwrittenWithoutForce()
    {
        using var dir = new TempFolder();
        string options = TinyOptions(dir, epochs: 1);
        string output = dir.Path_("out");
        dir.Write("out/precious.txt", "keep me");
        string[] args = ["train", "--options", options, "--vocab", Vocab, "--train", Data, "--output", output, "--no-progress"];
        CliResult.Run(args).AssertError(1, output, "not empty", "--force");
        Assert.Equal(["precious.txt"], dir.Entries("out"));
        CliResult.Run([.. args, "--force"]).AssertOk();
        Assert.DoesNotContain("precious.txt", dir.Entries("out"));
        Assert.Contains("weights.hdf5", dir.Entries("out"));
        // An empty directory is fine without --force.
        Directory.CreateDirectory(dir.Path_("empty"));
        CliResult.Run("train", "--options", options, "--vocab", Vocab, "--train", Data, "--output", dir.Path_("empty"), "--no-progress").AssertOk();
    }
}
