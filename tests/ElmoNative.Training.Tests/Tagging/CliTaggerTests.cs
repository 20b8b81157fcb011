using System.Globalization;

namespace ElmoNative.Training.Tests.Tagging;

/// <summary>
/// <c>elmo tagger train|eval|baseline</c> and <c>elmo tag</c> end to end on the tiny tagged fixture
/// (tests/fixtures/tagger/tiny.tagged.txt) with the shipped model, and their bad-input errors.
/// </summary>
[Collection(TrainingCliCollection.Name)]
public sealed class CliTaggerTests
{
    private static string Tiny => Path.Combine(DataFixtures.Root, "tagger", "tiny.tagged.txt");

    private static string DefaultModel => Path.Combine(DataFixtures.RepositoryRoot, "models", "default");

    private static string Train(TempFolder dir, string name, params string[] extra)
    {
        string output = dir.Path_(name);
        var result = CliResult.Run(["tagger", "train", "--model", DefaultModel, "--train", Tiny, "--valid", Tiny, "--output", output,
                                    "--epochs", "12", "--batch-sentences", "4", "--learning-rate", "0.3", "--no-progress", .. extra]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("epoch 12: train loss", result.Stdout, StringComparison.Ordinal);
        return output;
    }

    private static double Accuracy(string stdout, int line = 0)
    {
        string text = stdout.Split('\n')[line];
        Assert.StartsWith("accuracy: ", text, StringComparison.Ordinal);
        return double.Parse(text.Split(' ')[1], CultureInfo.InvariantCulture);
    }

    [Fact]
    public void TrainEvalAndTagTheTinyFile()
    {
        using var dir = new TempFolder();
        string learned = Train(dir, "learned.tagger");
        string layer0 = Train(dir, "layer0.tagger", "--mix", "layer0", "--hidden", "8");

        var eval = CliResult.Run("tagger", "eval", "--model", DefaultModel, "--tagger", learned, "--input", Tiny, "--compare", layer0, "--no-progress");
        Assert.True(eval.ExitCode == 0, eval.Stderr);
        Assert.True(Accuracy(eval.Stdout) >= 0.95, eval.Stdout);
        Assert.Contains("mcnemar: b = ", eval.Stdout, StringComparison.Ordinal);
        Assert.Contains("tagger eval: 346 tokens", eval.Stderr, StringComparison.Ordinal);

        var baseline = CliResult.Run("tagger", "baseline", "--train", Tiny, "--input", Tiny);
        Assert.Equal(0, baseline.ExitCode);
        Assert.InRange(Accuracy(baseline.Stdout), 0.95, 1.0); // every word seen in training

        // elmo tag: plain text in, word/TAG out, blank lines kept.
        string plain = dir.Write("plain.txt", "The big dog saw a cat .\n\nShe found the houses near the river .\n");
        string tagged = dir.Path_("tagged.txt");
        var tag = CliResult.Run("tag", "--model", DefaultModel, "--tagger", learned, "--input", plain, "--output", tagged, "--no-progress");
        Assert.True(tag.ExitCode == 0, tag.Stderr);
        string[] lines = File.ReadAllText(tagged).Split('\n');
        Assert.Equal(4, lines.Length); // 3 lines and the final newline
        Assert.Equal("", lines[1]);
        Assert.Equal("The/AT big/JJ dog/NN saw/VBD a/AT cat/NN ./.", lines[0]);
        Assert.StartsWith("She/PPS found/VBD the/AT houses/", lines[2], StringComparison.Ordinal);

        // The universal tag set on the same file.
        string universal = Train(dir, "universal.tagger", "--tagset", "universal");
        var uEval = CliResult.Run("tagger", "eval", "--model", DefaultModel, "--tagger", universal, "--input", Tiny, "--no-progress");
        Assert.True(Accuracy(uEval.Stdout) >= 0.95, uEval.Stdout);
    }

    [Fact]
    public void BadTaggedInputIsOneLineAndNoOutput()
    {
        using var dir = new TempFolder();
        string output = dir.Path_("t.tagger");
        string missing = dir.Write("missing.txt", "The/at dog/nn ./.\nA/at cat/ ./.\n");
        CliResult.Run("tagger", "train", "--model", DefaultModel, "--train", missing, "--valid", Tiny, "--output", output, "--no-progress")
            .AssertError(1, $"{missing}:2:", "'cat/'", "no tag");
        string noSlash = dir.Write("noslash.txt", "The/at dog ./.\n");
        CliResult.Run("tagger", "train", "--model", DefaultModel, "--train", Tiny, "--valid", noSlash, "--output", output, "--no-progress")
            .AssertError(1, $"{noSlash}:1:", "'dog'", "no tag");
        string notBrown = dir.Write("notbrown.txt", "The/at dog/qq ./.\n");
        CliResult.Run("tagger", "train", "--model", DefaultModel, "--train", notBrown, "--valid", Tiny, "--output", output, "--no-progress")
            .AssertError(1, $"{notBrown}:1:", "'qq'");
        CliResult.Run("tagger", "train", "--model", DefaultModel, "--train", Tiny, "--valid", Tiny, "--output", output, "--mix", "bottom")
            .AssertError(2, "--mix", "bottom");
        Assert.Equal(["missing.txt", "noslash.txt", "notbrown.txt"], dir.Entries());
    }

    [Fact]
    public void UnknownTagAtEvalAndWrongModelAreErrors()
    {
        using var dir = new TempFolder();
        string tagger = dir.Path_("t.tagger");
        // as-written: the tag set is the training file's; a tag it never saw is unknown at eval time.
        string train = dir.Write("train.txt", "a/X b/Y\nb/Y a/X a/X\n");
        var result = CliResult.Run("tagger", "train", "--model", DefaultModel, "--tagset", "as-written", "--train", train, "--valid", train,
                                   "--output", tagger, "--epochs", "1", "--no-progress");
        Assert.True(result.ExitCode == 0, result.Stderr);
        string eval = dir.Write("eval.txt", "a/X\nb/Y a/Z\n");
        CliResult.Run("tagger", "eval", "--model", DefaultModel, "--tagger", tagger, "--input", eval, "--no-progress")
            .AssertError(1, $"{eval}:2:", "'Z'");

        // Another model's weights: refused before anything is written.
        string other = Path.Combine(DataFixtures.Root, "allennlp-elmo");
        string plain = dir.Write("plain.txt", "a b\n");
        string tagged = dir.Path_("tagged.txt");
        CliResult.Run("tag", "--model", other, "--tagger", tagger, "--input", plain, "--output", tagged, "--no-progress")
            .AssertError(1, tagger, "sha256");
        Assert.False(File.Exists(tagged));
    }
}
