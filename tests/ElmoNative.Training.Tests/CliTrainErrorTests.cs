using System.Text.Json.Nodes;

namespace ElmoNative.Training.Tests;

/// <summary>Bad input to <c>elmo train</c> and <c>elmo perplexity</c>: one line naming the file, exit code, nothing written.</summary>
[Collection(TrainingCliCollection.Name)]
public sealed class CliTrainErrorTests
{
    private static string Data => DataFixtures.BilmTrain("data.txt");

    private static string Vocab => DataFixtures.BilmTrain("vocab.txt");

    private static string Options(TempFolder dir, Action<JsonObject>? change = null, string name = "opts.json")
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(DataFixtures.RepositoryRoot, "examples", "training", "tiny.json")))!.AsObject();
        change?.Invoke(node);
        return dir.Write(name, node.ToJsonString());
    }

    private static void AssertTrainError(TempFolder dir, int code, string[] args, params string[] words)
    {
        string output = dir.Path_("out");
        CliResult.Run(["train", .. args, "--output", output, "--no-progress"]).AssertError(code, words);
        Assert.False(Directory.Exists(output), "no output directory is created");
    }

    [Fact]
    public void MissingOrEmptyTrainingFiles()
    {
        using var dir = new TempFolder();
        string o = Options(dir);
        AssertTrainError(dir, 1, ["--options", o, "--vocab", Vocab, "--train", dir.Path_("none.txt")], "none.txt", "not found");
        AssertTrainError(dir, 1, ["--options", o, "--vocab", Vocab, "--train", dir.Path_("shards/*.txt")], "no text file matches");
        string empty = dir.Write("empty.txt", "");
        AssertTrainError(dir, 1, ["--options", o, "--vocab", Vocab, "--train", empty], empty, "no sentence");
        string blank = dir.Write("blank.txt", "\n\n");
        AssertTrainError(dir, 1, ["--options", o, "--vocab", Vocab, "--train", Data, blank], blank, "no sentence");
        string bad = dir.Write("bad.txt", [.. "fine\n"u8, 0xFE, (byte)'\n']);
        AssertTrainError(dir, 1, ["--options", o, "--vocab", Vocab, "--train", bad], bad + ":2:", "invalid UTF-8");
        AssertTrainError(dir, 1, ["--options", o, "--vocab", Vocab, "--train", Data, "--valid", empty], empty, "no sentence");
    }

    [Fact]
    public void ForceNeverDeletesAnInputInsideTheOutputDirectory()
    {
        // --force replaces the output directory whole: training text, options or vocabulary inside it (also through a
        // symlinked folder) would be deleted with it, so the run is refused before anything is touched.
        using var dir = new TempFolder();
        string output = Directory.CreateDirectory(dir.Path_("out")).FullName;
        string text = Path.Combine(output, "train.txt");
        File.Copy(Data, text);
        string vocab = Path.Combine(output, "vocab.txt");
        File.Copy(Vocab, vocab);
        string options = Options(dir);
        string link = dir.Path_("link");
        Directory.CreateSymbolicLink(link, output);
        foreach (string[] args in new[]
        {
            new[] { "--options", options, "--vocab", Vocab, "--train", text },
            ["--options", options, "--vocab", Vocab, "--train", Data, "--valid", Path.Combine(link, "train.txt")],
            ["--options", options, "--vocab", vocab, "--train", Data],
            ["--options", options, "--vocab", Vocab, "--train", Path.Combine(output, "*.txt")],
        })
        {
            CliResult.Run(["train", .. args, "--output", link, "--force", "--no-progress"]).AssertError(2, "holds the input");
            Assert.Equal(File.ReadAllBytes(Data), File.ReadAllBytes(text));
            Assert.Equal(File.ReadAllBytes(Vocab), File.ReadAllBytes(vocab));
        }
    }

    [Fact]
    public void BadVocabularies()
    {
        using var dir = new TempFolder();
        string o = Options(dir);
        string noSpecials = dir.Write("v1.txt", "the\nof\nand\n");
        AssertTrainError(dir, 1, ["--options", o, "--vocab", noSpecials, "--train", Data], noSpecials + ":1:", "<S>, </S>, <UNK>");
        string small = dir.Write("v2.txt", "<S>\n</S>\n<UNK>\nthe\n");
        AssertTrainError(dir, 1, ["--options", o, "--vocab", small, "--train", Data], small, "4 tokens", "n_tokens_vocab is 32");
        AssertTrainError(dir, 1, ["--options", o, "--vocab", dir.Path_("missing.txt"), "--train", Data], "missing.txt", "not found");
    }

    [Fact]
    public void BadOptions()
    {
        using var dir = new TempFolder();
        string badValue = Options(dir, n => n["dropout"] = 2, "o1.json");
        AssertTrainError(dir, 1, ["--options", badValue, "--vocab", Vocab, "--train", Data], badValue, "\"dropout\"");
        string badModel = Options(dir, n => n["lstm"]!["projection_dim"] = 64, "o2.json");
        AssertTrainError(dir, 1, ["--options", badModel, "--vocab", Vocab, "--train", Data], badModel, "projection_dim");
        AssertTrainError(dir, 1, ["--options", dir.Path_("nothing.json"), "--vocab", Vocab, "--train", Data], "nothing.json", "not found");
    }

    [Theory]
    [InlineData("missing option '--train'", "--options", "O", "--vocab", "V")]
    [InlineData("missing option '--options'", "--vocab", "V", "--train", "D")]
    [InlineData("missing option '--vocab'", "--options", "O", "--train", "D")]
    [InlineData("--checkpoint-every must be 0 or a positive integer", "--options", "O", "--vocab", "V", "--train", "D", "--checkpoint-every", "-1")]
    [InlineData("--max-windows must be a positive integer", "--options", "O", "--vocab", "V", "--train", "D", "--max-windows", "0")]
    [InlineData("--seed must be an integer", "--options", "O", "--vocab", "V", "--train", "D", "--seed", "x")]
    [InlineData("unknown option '--epochs'", "--options", "O", "--vocab", "V", "--train", "D", "--epochs", "3")]
    public void UsageErrors(string message, params string[] args)
    {
        using var dir = new TempFolder();
        string o = Options(dir);
        string[] full = args.Select(a => a switch { "O" => o, "V" => Vocab, "D" => Data, _ => a }).ToArray();
        AssertTrainError(dir, 2, full, message);
    }

    [Fact]
    public void OutputProblems()
    {
        using var dir = new TempFolder();
        string o = Options(dir);
        string file = dir.Write("file", "x");
        CliResult.Run("train", "--options", o, "--vocab", Vocab, "--train", Data, "--output", file, "--no-progress").AssertError(1, file, "is a file");
        // --force on a directory that holds an input would destroy it: refused.
        string inside = dir.Write("corpus/train.txt", File.ReadAllText(Data));
        CliResult.Run("train", "--options", o, "--vocab", Vocab, "--train", inside, "--output", dir.Path_("corpus"), "--force", "--no-progress").AssertError(2, "holds the input");
        Assert.Equal(["train.txt"], dir.Entries("corpus"));
        CliResult.Run("train", "--options", o, "--vocab", Vocab, "--train", Data, "--output", dir.Path_("no/such/dir"), "--no-progress").AssertError(1, "does not exist");
    }

    [Fact]
    public void ResumeRefusesWhatContradictsTheCheckpoint()
    {
        using var dir = new TempFolder();
        string o = Options(dir);
        string ckpt = dir.Path_("ckpt");
        CliResult.Run("train", "--options", o, "--vocab", Vocab, "--train", Data, "--output", ckpt, "--seed", "2", "--max-windows", "2", "--no-progress").AssertOk();
        string before = File.ReadAllText(Path.Combine(ckpt, "reader_position.json"));

        string otherBatch = Options(dir, n => n["batch_size"] = 8, "o-batch.json");
        CliResult.Run("train", "--resume", ckpt, "--options", otherBatch, "--train", Data, "--no-progress").AssertError(1, otherBatch, "contradicts", "batch_size: 4 -> 8");
        string otherModel = Options(dir, n => n["lstm"]!["dim"] = 64, "o-model.json");
        CliResult.Run("train", "--resume", ckpt, "--options", otherModel, "--train", Data, "--no-progress").AssertError(1, "contradicts", "model");
        CliResult.Run("train", "--resume", ckpt, "--seed", "3", "--train", Data, "--no-progress").AssertError(1, "--seed 3", "seed 2");
        string[] swapped = File.ReadAllLines(Vocab).Where(l => l.Length > 0).ToArray();
        (swapped[3], swapped[4]) = (swapped[4], swapped[3]);
        string otherVocab = dir.Write("v.txt", string.Join("\n", swapped) + "\n");
        CliResult.Run("train", "--resume", ckpt, "--vocab", otherVocab, "--train", Data, "--no-progress").AssertError(1, otherVocab, "differs from the vocabulary");
        string otherText = dir.Write("other.txt", "a b c\n");
        CliResult.Run("train", "--resume", ckpt, "--train", otherText, "--no-progress").AssertError(1, "training files");
        CliResult.Run("train", "--resume", dir.Path_("nope"), "--train", Data, "--no-progress").AssertError(1, "nope", "not found");
        // Epochs may change on a resume, as in bilm-tf.
        string moreEpochs = Options(dir, n => n["n_epochs"] = 3, "o-epochs.json");
        Assert.Equal(before, File.ReadAllText(Path.Combine(ckpt, "reader_position.json")));
        CliResult.Run("train", "--resume", ckpt, "--options", moreEpochs, "--train", Data, "--max-windows", "4", "--no-progress").AssertOk();
        Assert.Equal(4, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(ckpt, "reader_position.json")))!["windows"]!);
    }

    [Fact]
    public void PerplexityErrors()
    {
        using var dir = new TempFolder();
        string o = Options(dir);
        string ckpt = dir.Path_("ckpt");
        CliResult.Run("train", "--options", o, "--vocab", Vocab, "--train", Data, "--output", ckpt, "--max-windows", "1", "--no-progress").AssertOk();
        CliResult.Run("perplexity", "--model", dir.Root, "--input", Data).AssertError(1, "train_options.json", "not a checkpoint");
        CliResult.Run("perplexity", "--model", dir.Path_("none"), "--input", Data).AssertError(1, "none", "not found");
        string small = dir.Write("v2.txt", "<S>\n</S>\n<UNK>\nthe\n");
        CliResult.Run("perplexity", "--model", ckpt, "--vocab", small, "--input", Data).AssertError(1, small, "n_tokens_vocab is 32");
        CliResult.Run("perplexity", "--model", ckpt, "--input", dir.Path_("x.txt")).AssertError(1, "x.txt", "not found");
        // Only the weights are read, so another batch size than the trained one is allowed.
        Assert.Contains("average perplexity", CliResult.Run("perplexity", "--model", ckpt, "--input", Data, "--batch-size", "7").AssertOk().Stdout);
        CliResult.Run("perplexity", "--input", Data).AssertError(2, "missing option '--model'");
        CliResult.Run("perplexity", "--model", ckpt).AssertError(2, "missing option '--input'");
    }
}
