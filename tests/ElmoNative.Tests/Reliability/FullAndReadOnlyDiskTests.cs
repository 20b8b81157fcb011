namespace ElmoNative.Tests.Reliability;

/// <summary>
/// A full or read-only file system ends a command with one line naming the output, exit 1, and the output folder as it
/// was: no output, no temporary or spill file (docs/reliability.md: outputs appear whole or not at all).
/// </summary>
[Collection(CliCollection.Name)]
public sealed class FullAndReadOnlyDiskTests : IDisposable
{
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    /// <summary>1,500 sentences: a 3.7 MB embedding file, more than every tmpfs below holds.</summary>
    private string BigInput() => scratch.Write("in.txt", Inputs.Sentences(1500));

    [MountFact]
    public void AFullDiskLeavesNothingBehindWhateverItsSize()
    {
        string input = BigInput();
        foreach (string size in new[] { "16k", "64k", "256k", "1m" })
        {
            string disk = scratch.MountTmpfs("full-" + size, size);
            string output = Path.Combine(disk, "out.hdf5");
            var result = CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", output]);
            Assert.True(Directory.GetFileSystemEntries(disk).Length == 0, $"{size}: left {string.Join(", ", Directory.GetFileSystemEntries(disk))}");
            result.AssertError(1, "No space left on device", output);
        }
    }

    [MountFact]
    public void AFullDiskLeavesNothingBehindInEveryMode()
    {
        string input = BigInput();
        string vocab = scratch.Write("vocab.txt", string.Join('\n', Enumerable.Range(0, 3000).Select(i => "w" + i)) + "\n");
        string distinct = scratch.Write("distinct.txt", string.Concat(Inputs.Sentences(1500).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select((line, i) => $"{i} {line}\n")));
        string[][] commands =
        [
            ["embed", .. CliSandbox.FixtureModel, "--input", input, "--stateful", "--batch-size", "100"],
            ["embed", .. CliSandbox.FixtureModel, "--input", distinct, "--use-sentence-keys", "--layers", "top"],
            ["embed", .. CliSandbox.FixtureModel, "--input", input, "--forget-sentences", "--layers", "average"],
            ["token-embeddings", .. CliSandbox.FixtureModel, "--vocab", vocab],
        ];
        for (int i = 0; i < commands.Length; i++)
        {
            string disk = scratch.MountTmpfs("full-mode-" + i, "64k");
            string output = Path.Combine(disk, "out.hdf5");
            var result = CliResult.Run([.. commands[i], "--output", output]);
            Assert.True(Directory.GetFileSystemEntries(disk).Length == 0, $"{string.Join(' ', commands[i])}: left {string.Join(", ", Directory.GetFileSystemEntries(disk))}");
            result.AssertError(1, "No space left on device", output);
        }
    }

    [MountFact]
    public void AReadOnlyFolderGetsOneLineNamingTheOutputAndNothingElse()
    {
        string input = scratch.Write("in.txt", Inputs.Sentences(5));
        string vocab = scratch.Write("vocab.txt", "the\ncat\n");
        string tiny = scratch.Write("tiny.json", CliSandbox.TinyOptions);
        string disk = scratch.MountTmpfs("ro", "1m");
        string existing = Path.Combine(disk, "existing.hdf5");
        File.WriteAllText(existing, "keep me");
        Scratch.RemountReadOnly(disk);
        string output = Path.Combine(disk, "out.hdf5");
        string[][] commands =
        [
            ["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", output],
            ["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", existing, "--force"],
            ["token-embeddings", .. CliSandbox.FixtureModel, "--vocab", vocab, "--output", output],
            ["vocab", "--input", input, "--output", output],
        ];
        foreach (var command in commands)
        {
            string line = CliResult.Run(command).AssertError(1, "Read-only file system", command[Array.IndexOf(command, "--output") + 1]);
            Assert.DoesNotContain(".tmp", line); // the output is named, not an internal temporary name
        }
        CliResult.Run("random-checkpoint", "--options", tiny, "--output", Path.Combine(disk, "model")).AssertError(1, "Read-only file system");
        Assert.Equal(["existing.hdf5"], Directory.GetFileSystemEntries(disk).Select(Path.GetFileName));
        Assert.Equal("keep me", File.ReadAllText(existing));
    }
}
