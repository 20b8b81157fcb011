using System.Text;

namespace ElmoNative.Training.Tests;

/// <summary>CLI tests run one at a time: <c>--threads</c> changes a process-wide setting.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingCliCollection
{
    public const string Name = "training-cli";
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

/// <summary>The reference fixtures (<c>$ELMONATIVE_FIXTURES</c>, else <c>tests/fixtures/</c> of the repository).</summary>
public static class DataFixtures
{
    public static string Root
    {
        get
        {
            string? overridden = Environment.GetEnvironmentVariable("ELMONATIVE_FIXTURES");
            string root = string.IsNullOrEmpty(overridden) ? Path.Combine(RepositoryRoot, "tests", "fixtures") : overridden;
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
