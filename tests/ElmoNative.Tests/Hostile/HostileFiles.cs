using System.Diagnostics;
using System.Text.Json.Nodes;
using ElmoNative.Checkpoints;
using PureHDF;

namespace ElmoNative.Tests.Hostile;

/// <summary>
/// What the hostile-checkpoint tests build on: the AllenNLP fixture's datasets, HDF5 files of any datasets (any
/// dtype, any shape), special files (FIFO, devices, link loops) and a guard that turns a hang into a failure.
/// </summary>
internal static class HostileFiles
{
    /// <summary>The fixture's options file.</summary>
    public static string FixtureOptions => Fixtures.AllenNlp("options.json");

    /// <summary>The fixture's weights file.</summary>
    public static string FixtureWeights => Fixtures.AllenNlp("lm_weights.hdf5");

    /// <summary>Every float32 dataset of the fixture's weights, by name, in file order.</summary>
    public static IReadOnlyList<CheckpointTensor> FixtureTensors { get; } = ReadTensors();

    /// <summary>The fixture's options as a JSON object (a fresh copy to edit).</summary>
    public static JsonObject FixtureOptionsJson() => JsonNode.Parse(File.ReadAllText(FixtureOptions))!.AsObject();

    /// <summary>A sentence with short and long words (one longer than 48 bytes, which max_characters_per_token 50 cuts).</summary>
    public static readonly string[] Sentence = ["The", "bank", "of", "the", "river", "flooded", "antidisestablishmentarianism", "yesterday", "."];

    /// <summary>Writes datasets of any element type and shape (data is a float[], double[], int[], ...; shape its dims).</summary>
    public static void WriteHdf5(string path, IEnumerable<(string Name, Array Data, ulong[] Shape)> datasets)
    {
        var file = new H5File();
        foreach (var (name, data, shape) in datasets)
        {
            var parts = name.Split('/');
            H5Group group = file;
            for (int i = 0; i < parts.Length - 1; i++)
            {
                if (!group.TryGetValue(parts[i], out var child))
                {
                    child = new H5Group();
                    group[parts[i]] = child;
                }
                group = (H5Group)child;
            }
            group[parts[^1]] = new H5Dataset(data, fileDims: shape);
        }
        file.Write(path);
    }

    /// <summary>The fixture's datasets with <paramref name="edit"/> applied (return null to drop one).</summary>
    public static void WriteFixtureWith(string path, Func<CheckpointTensor, (string Name, Array Data, ulong[] Shape)?> edit) =>
        WriteHdf5(path, FixtureTensors.Select(edit).OfType<(string, Array, ulong[])>());

    /// <summary>The fixture's datasets as they are.</summary>
    public static (string, Array, ulong[])? Unchanged(CheckpointTensor t) => (t.Name, t.Data, t.Shape.Select(d => (ulong)d).ToArray());

    /// <summary>Makes a FIFO (named pipe) at <paramref name="path"/> with mkfifo(1); false where there is none.</summary>
    public static bool TryMakeFifo(string path)
    {
        if (OperatingSystem.IsWindows()) return false;
        try
        {
            using var process = Process.Start(new ProcessStartInfo("mkfifo", [path]) { RedirectStandardError = true, UseShellExecute = false })!;
            process.WaitForExit();
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    /// <summary>Two symbolic links pointing at each other; returns the first.</summary>
    public static string MakeLinkLoop(string directory, string name)
    {
        string a = Path.Combine(directory, name), b = Path.Combine(directory, name + ".other");
        File.CreateSymbolicLink(a, b);
        File.CreateSymbolicLink(b, a);
        return a;
    }

    /// <summary>
    /// Runs <paramref name="action"/> on a thread of its own and fails when it has not ended after
    /// <paramref name="seconds"/> (a hang must fail the test, not stall the suite); returns its exception, or null.
    /// </summary>
    public static Exception? WithinTimeLimit(Action action, double seconds, string what)
    {
        Exception? caught = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                caught = e;
            }
        }, 64 << 20)
        { IsBackground = true };
        thread.Start();
        if (!thread.Join(TimeSpan.FromSeconds(seconds))) Assert.Fail($"{what}: still running after {seconds} s (a hang)");
        return caught;
    }

    /// <summary>
    /// Asserts that <paramref name="e"/> is a clean error of the library: one of the documented exception types (not an
    /// internal one), one line, naming <paramref name="path"/> and every one of <paramref name="words"/>.
    /// </summary>
    public static void AssertCleanError(Exception? e, string path, string what, params string[] words)
    {
        Assert.True(e is not null, $"{what}: no error");
        Assert.True(IsCleanType(e), $"{what}: {e.GetType().Name} is not one of the library's error types: {e}");
        Assert.True(!e.Message.Contains('\n'), $"{what}: the message is not one line: {e.Message}");
        Assert.True(e.Message.Contains(path, StringComparison.Ordinal), $"{what}: the message does not name {path}: {e.Message}");
        foreach (string word in words) Assert.True(e.Message.Contains(word, StringComparison.Ordinal), $"{what}: the message does not say '{word}': {e.Message}");
    }

    /// <summary>The exception types a load may end in (the CLI turns them into exit code 1 and one line).</summary>
    public static bool IsCleanType(Exception e) =>
        e.GetType() == typeof(InvalidDataException) || e.GetType() == typeof(FormatException) || e.GetType() == typeof(FileNotFoundException)
        || e.GetType() == typeof(DirectoryNotFoundException);

    private static List<CheckpointTensor> ReadTensors()
    {
        using var h5 = H5File.OpenRead(FixtureWeights);
        var list = new List<CheckpointTensor>();
        void Walk(IH5Group group, string prefix)
        {
            foreach (var child in group.Children())
            {
                string name = prefix + child.Name;
                if (child is IH5Group g) Walk(g, name + "/");
                else if (child is IH5Dataset d) list.Add(new CheckpointTensor(name, d.Space.Dimensions.Select(x => (int)x).ToArray(), d.Read<float[]>()));
            }
        }
        Walk(h5, "");
        return list;
    }
}
