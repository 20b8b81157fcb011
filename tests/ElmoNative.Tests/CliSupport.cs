using System.Text;

namespace ElmoNative.Tests;

/// <summary>CLI tests run one at a time: <c>--threads</c> changes a process-wide setting.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CliCollection
{
    public const string Name = "cli";
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

    public static CliResult Run(params string[] args) => CliResult.Run(args);

    public static CliResult RunWithStdin(TextReader stdin, params string[] args) => CliResult.Run(stdin, CancellationToken.None, args);

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
