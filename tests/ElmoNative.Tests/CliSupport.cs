using System.Text;
using ElmoNative.Cli;

namespace ElmoNative.Tests;

/// <summary>CLI tests run one at a time: <c>--threads</c> changes a process-wide setting.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection
{
    public const string Name = "cli";
}

/// <summary>What one in-process run of <c>elmo</c> printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Asserts a failure: the exit code, nothing on stdout, exactly one stderr line starting "elmo: " holding every word.</summary>
    public string AssertError(int exitCode, params string[] words)
    {
        Assert.True(exitCode == ExitCode, $"expected exit code {exitCode}, got {ExitCode}; stderr: {Stderr}");
        Assert.Equal("", Stdout);
        var lines = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one stderr line, got {lines.Length}: {Stderr}");
        string line = lines[0].TrimEnd('\r');
        Assert.StartsWith("elmo: ", line);
        foreach (string word in words) Assert.Contains(word, line);
        return line;
    }

    /// <summary>Asserts success with nothing on stderr.</summary>
    public CliResult AssertOk()
    {
        Assert.True(ExitCode == 0, $"exit code {ExitCode}; stderr: {Stderr}");
        Assert.Equal("", Stderr);
        return this;
    }
}

/// <summary>A temporary folder with an input folder and an (initially empty) output folder; deleted on dispose.</summary>
public sealed class CliSandbox : IDisposable
{
    public CliSandbox()
    {
        Root = Path.Combine(Path.GetTempPath(), "elmo-cli-tests", Guid.NewGuid().ToString("N")[..12]);
        InputDirectory = Directory.CreateDirectory(Path.Combine(Root, "in")).FullName;
        OutputDirectory = Directory.CreateDirectory(Path.Combine(Root, "out")).FullName;
    }

    public string Root { get; }

    public string InputDirectory { get; }

    public string OutputDirectory { get; }

    /// <summary>The AllenNLP fixture model as <c>--options F --weights F</c>.</summary>
    public static string[] FixtureModel => ["--options", Fixtures.AllenNlp("options.json"), "--weights", Fixtures.AllenNlp("lm_weights.hdf5")];

    public string WriteInput(string name, string text) => WriteInput(name, Encoding.UTF8.GetBytes(text));

    public string WriteInput(string name, byte[] bytes)
    {
        string path = Path.Combine(InputDirectory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public string Output(string name) => Path.Combine(OutputDirectory, name);

    /// <summary>The output folder holds nothing: no output, no temporary file.</summary>
    public void AssertOutputEmpty() => Assert.Empty(Directory.EnumerateFileSystemEntries(OutputDirectory));

    public static CliResult Run(params string[] args) => RunWithStdin(TextReader.Null, args);

    public static CliResult RunWithStdin(TextReader stdin, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, stdin, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A tiny architecture, for fast round trips.</summary>
    public const string TinyOptions = """
        {"lstm": {"dim": 12, "projection_dim": 6, "n_layers": 2, "cell_clip": 3, "proj_clip": 3, "use_skip_connections": true},
         "char_cnn": {"embedding": {"dim": 3}, "activation": "relu", "filters": [[1, 4], [2, 6]],
                      "n_highway": 1, "n_characters": 262, "max_characters_per_token": 50}}
        """;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
