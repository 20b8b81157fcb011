using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using PureHDF;

namespace ElmoNative.Training.Tests.Faults;

/// <summary>A finished child process of the built <c>elmo</c>: exit code (137 when killed by SIGKILL) and its outputs.</summary>
public sealed record ChildResult(int ExitCode, string Stdout, string Stderr)
{
    public string Describe() => $"exit code {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>
/// What the training fault tests share: bilm-tf's training fixture with the tiny configuration of
/// examples/training/tiny.json, in-process and child-process runs of <c>elmo train</c>, and bit-for-bit comparison of
/// two checkpoint folders.
/// </summary>
internal static class FaultSupport
{
    /// <summary>SIGKILL as a child's exit code (128 + 9).</summary>
    public const int Killed = 137;

    /// <summary>Far above any Linux pid_max: a process that cannot be running (its temporary folders are stale).</summary>
    public const int DeadPid = 2_147_483_646;

    public static string Data => DataFixtures.BilmTrain("data.txt");

    public static string Vocab => DataFixtures.BilmTrain("vocab.txt");

    /// <summary>The tiny training options (100 epochs, so that --max-windows decides the length), written into <paramref name="dir"/>.</summary>
    public static string TinyOptions(TempFolder dir)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(DataFixtures.RepositoryRoot, "examples", "training", "tiny.json")))!.AsObject();
        node["n_epochs"] = 100;
        return dir.Write("train_options.json", node.ToJsonString());
    }

    /// <summary>Arguments of a new run.</summary>
    public static string[] NewRun(string options, string output, int maxWindows, int seed = 11) =>
        ["train", "--options", options, "--vocab", Vocab, "--train", Data, "--output", output, "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
         "--checkpoint-every", "1", "--max-windows", maxWindows.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-progress"];

    /// <summary>Arguments of a resume.</summary>
    public static string[] Resume(string folder, int maxWindows) =>
        ["train", "--resume", folder, "--train", Data, "--checkpoint-every", "1", "--max-windows", maxWindows.ToString(System.Globalization.CultureInfo.InvariantCulture), "--no-progress"];

    /// <summary>The path of the built CLI beside the tests (the test project references it).</summary>
    public static string ElmoDll => Path.Combine(AppContext.BaseDirectory, "elmo.dll");

    /// <summary>
    /// Starts <c>dotnet elmo.dll ARGS</c> with <paramref name="environment"/> added; <paramref name="whileRunning"/> (if
    /// given) is called with the process and a function giving the stdout so far, and may kill it. Waits for the end.
    /// <paramref name="workingDirectory"/>: the child's current directory (default: the test's).
    /// </summary>
    public static ChildResult RunChild(IReadOnlyDictionary<string, string> environment, string[] args, Action<Process, Func<string>>? whileRunning = null,
        string? workingDirectory = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory ?? "",
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(ElmoDll);
        foreach (string a in args) start.ArgumentList.Add(a);
        foreach (string key in start.Environment.Keys.Where(k => k.StartsWith("ELMONATIVE_TEST_", StringComparison.Ordinal)).ToList()) start.Environment.Remove(key);
        foreach (var (key, value) in environment) start.Environment[key] = value;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        whileRunning?.Invoke(process, () => { lock (stdout) return stdout.ToString(); });
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"elmo {string.Join(' ', args)} did not finish within 60 s\n{stdout}\n{stderr}");
        }
        process.WaitForExit(); // drains the readers
        return new ChildResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Every dataset of an HDF5 file as float32 values, by full name.</summary>
    public static SortedDictionary<string, float[]> Datasets(string file)
    {
        var result = new SortedDictionary<string, float[]>(StringComparer.Ordinal);
        using var h5 = H5File.OpenRead(file);
        void Walk(IH5Group group, string prefix)
        {
            foreach (var child in group.Children())
            {
                if (child is IH5Group g) Walk(g, prefix + child.Name + "/");
                else if (child is IH5Dataset d) result[prefix + child.Name] = d.Read<float[]>();
            }
        }
        Walk(h5, "");
        return result;
    }

    /// <summary>
    /// Asserts that two checkpoint folders hold the same training state bit for bit: every dataset of the weights and
    /// of the optimizer state, the step and seed, the reader position.
    /// </summary>
    public static void AssertSameCheckpoint(string expected, string actual)
    {
        foreach (string file in new[] { "weights.hdf5", "training_state.hdf5" })
        {
            var a = Datasets(Path.Combine(expected, file));
            var b = Datasets(Path.Combine(actual, file));
            Assert.Equal(a.Keys, b.Keys);
            foreach (var (name, values) in a)
            {
                var other = b[name];
                Assert.True(values.AsSpan().SequenceEqual(other), $"{file}: dataset {name} differs");
            }
        }
        foreach (string file in new[] { "training_state.json", "reader_position.json", "vocab.txt", "options.json", "train_options.json" })
            Assert.Equal(File.ReadAllText(Path.Combine(expected, file)), File.ReadAllText(Path.Combine(actual, file)));
    }

    /// <summary>Copies a folder (files only, as a checkpoint holds).</summary>
    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string f in Directory.EnumerateFiles(from)) File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
    }

    /// <summary>The entries of <paramref name="parent"/> whose names start with ".": temporary folders left behind.</summary>
    public static string[] Leftovers(string parent) =>
        Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName).Where(n => n!.StartsWith('.')).Order(StringComparer.Ordinal).ToArray()!;
}
