using System.Text.RegularExpressions;
using ElmoNative.Cli;

namespace ElmoNative.Tests;

/// <summary>
/// docs/cli.md holds every command's --help verbatim and README.md's CLI section the usage lines: both are compared
/// with what the commands print, so that they cannot drift. <c>ELMONATIVE_UPDATE_DOCS=1</c> rewrites them instead.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CliDocsTests
{
    private static bool Update => Environment.GetEnvironmentVariable("ELMONATIVE_UPDATE_DOCS") == "1";

    private static readonly Regex ReadmeBlock = new(@"(## The CLI\n\n```\n)(.*?)(```\n)", RegexOptions.Singleline);

    [Fact]
    public void DocsCliMdHoldsEveryHelpVerbatim()
    {
        string path = Path.Combine(Fixtures.RepositoryRoot, "docs", "cli.md");
        string expected = HelpText.Document();
        if (Update) File.WriteAllText(path, expected);
        Assert.True(File.Exists(path), $"{path} is missing: run the tests with ELMONATIVE_UPDATE_DOCS=1");
        Assert.Equal(expected, File.ReadAllText(path).ReplaceLineEndings("\n"));
        // And what the file shows is what the command prints.
        foreach (var command in CommandLine.Commands)
            Assert.Contains(CliSandbox.Run(command.Name, "--help").AssertOk().Stdout, expected);
        Assert.Contains(CliSandbox.Run("--help").AssertOk().Stdout, expected);
    }

    [Fact]
    public void ReadmeSynopsisIsTheCommandsUsageLines()
    {
        string path = Path.Combine(Fixtures.RepositoryRoot, "README.md");
        string readme = File.ReadAllText(path).ReplaceLineEndings("\n");
        string synopses = HelpText.Synopses();
        if (Update)
        {
            readme = ReadmeBlock.Replace(readme, m => m.Groups[1].Value + synopses + m.Groups[3].Value, 1);
            File.WriteAllText(path, readme);
        }
        var match = ReadmeBlock.Match(readme);
        Assert.True(match.Success, "README.md has no ``` block right under '## The CLI'");
        Assert.Equal(synopses, match.Groups[2].Value);
        // The block is what the commands' --help print as their usage lines ("usage: " or its indent removed).
        string fromHelp = string.Concat(CommandLine.Commands.Select(c => UsageLines(CliSandbox.Run(c.Name, "--help").AssertOk().Stdout)));
        Assert.Equal(fromHelp, match.Groups[2].Value);
    }

    private static string UsageLines(string help) =>
        string.Concat(help.Split('\n').TakeWhile(l => l.Length > 0).Select(l => l[7..] + "\n"));
}
