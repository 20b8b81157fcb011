using ElmoNative.Training.Data;

namespace ElmoNative.Training.Tests;

[Collection(TrainingCliCollection.Name)]
public sealed class CliVocabTests
{
    [Fact]
    public void WritesTheVocabularyOfSeveralFilesAndGlobs()
    {
        using var dir = new TempFolder();
        dir.Write("in/a.txt", "a b a\n");
        dir.Write("in/b.txt", "b c a\n");
        string extra = dir.Write("extra.txt", "d d d d\n");
        string output = dir.Path_("vocab.txt");
        var run = CliResult.Run("vocab", "--input", Path.Combine(dir.Root, "in", "*.txt"), extra, "--output", output).AssertOk();
        Assert.Contains("7 tokens", run.Stdout);
        Assert.Equal(["<S>", "</S>", "<UNK>", "d", "a", "b", "c"], Vocabulary.Load(output).Words);

        CliResult.Run("vocab", "--input", Path.Combine(dir.Root, "in", "*.txt"), extra, "--output", output, "--min-count", "3", "--force").AssertOk();
        Assert.Equal(["<S>", "</S>", "<UNK>", "d", "a"], Vocabulary.Load(output).Words);
    }

    [Fact]
    public void ExistingOutputNeedsForce()
    {
        using var dir = new TempFolder();
        string input = dir.Write("a.txt", "a b\n");
        string output = dir.Write("vocab.txt", "precious\n");
        CliResult.Run("vocab", "--input", input, "--output", output).AssertError(1, output, "--force");
        Assert.Equal("precious\n", File.ReadAllText(output));
    }

    [Theory]
    [InlineData(2, "missing option '--input'", "--output", "v.txt")]
    [InlineData(2, "'--input' needs a value", "--input", "--output", "v.txt")]
    [InlineData(2, "missing option '--output'", "--input", "a.txt")]
    [InlineData(2, "--min-count must be a positive integer", "--input", "a.txt", "--output", "v.txt", "--min-count", "0")]
    [InlineData(2, "unknown option '--bogus'", "--input", "a.txt", "--output", "v.txt", "--bogus")]
    public void UsageErrors(int code, string message, params string[] args)
    {
        using var dir = new TempFolder();
        dir.Write("a.txt", "a b\n");
        string[] full = ["vocab", .. args.Select(a => a.EndsWith(".txt") ? Path.Combine(dir.Root, a) : a)];
        CliResult.Run(full).AssertError(code, message);
        Assert.False(File.Exists(dir.Path_("v.txt")));
    }

    [Fact]
    public void DataErrorsNameTheFileAndWriteNothing()
    {
        using var dir = new TempFolder();
        string output = dir.Path_("v.txt");
        CliResult.Run("vocab", "--input", dir.Path_("missing.txt"), "--output", output).AssertError(1, "missing.txt", "not found");
        CliResult.Run("vocab", "--input", dir.Path_("*.none"), "--output", output).AssertError(1, "*.none", "no input file matches");
        string bad = dir.Write("bad.txt", [(byte)'a', (byte)'\n', 0xFF, (byte)'\n']);
        CliResult.Run("vocab", "--input", bad, "--output", output).AssertError(1, bad + ":2:", "invalid UTF-8");
        string blank = dir.Write("blank.txt", "\n  \n");
        CliResult.Run("vocab", "--input", blank, "--output", output).AssertError(1, "blank.txt", "no tokens");
        CliResult.Run("vocab", "--input", blank, "--output", blank, "--force").AssertError(2, "overwrite an input");
        Assert.False(File.Exists(output));
        Assert.Equal("\n  \n", File.ReadAllText(blank));
    }

    [Fact]
    public void HelpDescribesTheCommand()
    {
        var run = CliResult.Run("vocab", "--help").AssertOk();
        Assert.Contains("--min-count", run.Stdout);
    }
}
