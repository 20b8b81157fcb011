using System.Text;
using ElmoNative.Cli;

namespace ElmoNative.Training.Tests;

/// <summary>CLI tests run one at a time: <c>--threads</c> changes a process-wide setting.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingCliCollection
{
    public const string Name = "training-cli";
}

/// <summary>What one in-process run of <c>elmo</c> printed and returned.</summary>
public sealed record CliRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Runs <c>elmo</c> in-process.</summary>
    public static CliRun Of(params string[] args) => With(CancellationToken.None, args);

    /// <summary>Runs <c>elmo</c> in-process with a cancellation token (Ctrl+C).</summary>
    public static CliRun With(CancellationToken cancellation, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, TextReader.Null, stdout, stderr, cancellation);
        return new CliRun(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Asserts a failure: the exit code, nothing on stdout, one stderr line "elmo: ..." holding every word.</summary>
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

    /// <summary>Asserts success.</summary>
    public CliRun AssertOk()
    {
        Assert.True(ExitCode == 0, $"exit code {ExitCode}; stderr: {Stderr}");
        return this;
    }
}

/// <summary>A temporary folder for a test; deleted on dispose.</summary>
public sealed class TempFolder : IDisposable
{
    public TempFolder()
    {
        Root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "elmo-training-tests", Guid.NewGuid().ToString("N")[..12])).FullName;
    }

    public string Root { get; }

    public string Path_(string name) => Path.Combine(Root, name);

    public string Write(string name, string text) => Write(name, Encoding.UTF8.GetBytes(text));

    public string Write(string name, byte[] bytes)
    {
        string path = Path_(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Names of the entries of a sub-folder (or the root), sorted.</summary>
    public string[] Entries(string sub = "") =>
        Directory.EnumerateFileSystemEntries(Path.Combine(Root, sub)).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

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

/// <summary>The shared fixtures (<c>$ELMONATIVE_FIXTURES</c> or <c>../shared/fixtures</c> beside the repository).</summary>
public static class DataFixtures
{
    public static string Root
    {
        get
        {
            string? overridden = Environment.GetEnvironmentVariable("ELMONATIVE_FIXTURES");
            string root = string.IsNullOrEmpty(overridden) ? Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "fixtures")) : overridden;
            if (!Directory.Exists(root))
                throw new DirectoryNotFoundException($"Test fixtures not found at {root}: set ELMONATIVE_FIXTURES to the folder holding bilm-train/.");
            return root;
        }
    }

    public static string BilmTrain(string file) => Path.Combine(Root, "bilm-train", file);

    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ElmoNative.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new DirectoryNotFoundException("ElmoNative.sln not found above " + AppContext.BaseDirectory);
        }
    }
}
