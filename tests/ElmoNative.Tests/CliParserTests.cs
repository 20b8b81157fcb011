using System.Text.RegularExpressions;
using ElmoNative.Checkpoints;

namespace ElmoNative.Tests;

/// <summary>
/// What System.CommandLine brings (response files, completion) and the project's contract on top of it: errors as one
/// line, help winning over anything else, a summary line per command (--quiet: none), one overwrite rule.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CliParserTests : IDisposable
{
    private readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Fact]
    public void ResponseFileGivesTheSameAsTheArguments()
    {
        string input = sandbox.WriteInput("in.txt", "the cat sat\n");
        string direct = sandbox.Output("direct.hdf5"), viaFile = sandbox.Output("file.hdf5");
        CliSandbox.Run(["embed", "--input", input, "--output", direct, "--layers", "top", .. CliSandbox.FixtureModel]).AssertOk();
        string rsp = sandbox.WriteInput("args.rsp", string.Join("\n", ["--input", input, "--output", viaFile, "--layers", "top", .. CliSandbox.FixtureModel]) + "\n");
        CliSandbox.Run("embed", "@" + rsp).AssertOk();
        Assert.Equal(Fixtures.ReadDataset(direct, "0").Data, Fixtures.ReadDataset(viaFile, "0").Data);
        CliSandbox.Run("embed", "@" + Path.Combine(sandbox.InputDirectory, "none.rsp")).AssertError(2, "none.rsp");
    }

    [Fact]
    public void CompletionSuggestsCommandsAndOptions()
    {
        var commands = CliSandbox.Run("[suggest]", "emb").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("embed", commands);
        Assert.DoesNotContain("vocab", commands);
        Assert.Contains("--layers", CliSandbox.Run("[suggest:14]", "elmo embed --l").Stdout.Split('\n'));
    }

    [Theory]
    [InlineData("embed")]
    [InlineData("vocab")]
    [InlineData("train")]
    [InlineData("perplexity")]
    public void HelpWinsOverUnknownOptionsAndHasNoSummary(string command)
    {
        var result = CliSandbox.Run(command, "--bogus", "-h");
        Assert.Equal(0, result.ExitCode);
        Assert.Equal("", result.Stderr);
        Assert.StartsWith($"usage: elmo {command}", result.Stdout);
    }

    [Fact]
    public void ParseErrorsAreOneLine()
    {
        CliSandbox.Run("embed", "--input", "a", "stray1", "stray2", "stray3").AssertError(2, "unexpected argument 'stray3'", "elmo embed --help");
        CliSandbox.Run("info", "extra").AssertError(2, "info:", "unexpected argument 'extra'");
        CliSandbox.Run("info", "--model").AssertError(2, "'--model' needs a value");
        CliSandbox.Run("--bogus").AssertError(2, "unknown option '--bogus' before the command");
        CliSandbox.Run("help", "nope").AssertError(2, "unknown command 'nope'");
        CliSandbox.Run("vocab", "--input", "a.txt", "--bogus", "--output", "v.txt").AssertError(2, "unknown option '--bogus'");
    }

    [Fact]
    public void EveryCommandEndsWithASummaryLineAndQuietDropsIt()
    {
        string input = sandbox.WriteInput("in.txt", "the cat sat\na dog\n");
        string vocab = sandbox.WriteInput("vocab.txt", "the\ncat\n");
        string tiny = sandbox.WriteInput("tiny.json", CliSandbox.TinyOptions);
        var runs = new (string[] Args, string Pattern)[]
        {
            (["embed", "--input", input, "--output", sandbox.Output("e.hdf5"), .. CliSandbox.FixtureModel], @"^embed: 2 sentences, 5 tokens, [0-9.]+ s, [0-9]+ tokens/s -> .*e\.hdf5$"),
            (["token-embeddings", "--vocab", vocab, "--output", sandbox.Output("t.hdf5"), .. CliSandbox.FixtureModel], @"^token-embeddings: 2 tokens, [0-9.]+ s, [0-9]+ tokens/s -> .*t\.hdf5$"),
            (["random-checkpoint", "--options", tiny, "--output", sandbox.Output("ckpt")], @"^random-checkpoint: [0-9,]+ parameters, seed 0, [0-9.]+ s -> .*ckpt$"),
            (["info", .. CliSandbox.FixtureModel], @"^info: checked 105,120 parameters in [0-9]+ tensors, [0-9.]+ s$"),
            (["vocab", "--input", input, "--output", sandbox.Output("v.txt")], @"^vocab: 8 tokens from 1 file\(s\), 5 running tokens, [0-9.]+ s, [0-9]+ tokens/s -> .*v\.txt$"),
        };
        foreach (var (args, pattern) in runs)
        {
            Assert.Matches(pattern, CliSandbox.Run(args).Summary);
            // The same again with --quiet (and --force where an output now exists): nothing on stderr.
            string[] again = [.. args, "--quiet", .. args[0] == "info" ? Array.Empty<string>() : ["--force"]];
            var quiet = CliSandbox.Run(again).AssertOk();
            Assert.Equal("", quiet.Stderr);
        }
    }

    [Theory]
    [InlineData("embed")]
    [InlineData("token-embeddings")]
    [InlineData("vocab")]
    public void AnExistingOutputFileIsReplacedOnlyWithForce(string command)
    {
        string output = sandbox.Output("existing");
        File.WriteAllText(output, "precious");
        string input = sandbox.WriteInput("in.txt", "the cat\n");
        string[] args = command switch
        {
            "embed" => ["embed", "--input", input, "--output", output, .. CliSandbox.FixtureModel],
            "token-embeddings" => ["token-embeddings", "--vocab", input.Replace("in.txt", "v.txt"), "--output", output, .. CliSandbox.FixtureModel],
            _ => ["vocab", "--input", input, "--output", output],
        };
        sandbox.WriteInput("v.txt", "the\ncat\n");
        CliSandbox.Run(args).AssertError(1, output, "exists", "--force");
        Assert.Equal("precious", File.ReadAllText(output));
        CliSandbox.Run([.. args, "--force"]).AssertOk();
        Assert.NotEqual("precious", File.ReadAllText(output));
        Assert.Single(Directory.GetFiles(sandbox.OutputDirectory)); // no temporary file left
    }
}
