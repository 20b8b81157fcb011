namespace ElmoNative.Tests.Reliability;

/// <summary>
/// Signals to a real <c>elmo</c> process in the middle of an embed (its input comes through a pipe the test holds, so it
/// is mid-run for as long as the test wants): SIGTERM cleans up like Ctrl+C (exit 143); after SIGKILL, which nothing can
/// clean up after, the next run into the folder removes the dead run's temporary file, and never a live run's.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class SignalTests : IDisposable
{
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    /// <summary>An embed reading stdin into <c>out/NAME</c>, fed 50 lines and waited for until its temporary file exists.</summary>
    private ElmoProcess StartEmbed(string outputFolder, string name)
    {
        var child = ElmoProcess.Start(scratch.Root, null, ["embed", .. CliSandbox.FixtureModel, "--input", "-", "--output", Path.Combine(outputFolder, name)]);
        child.Input.Write(Inputs.Sentences(50));
        child.Input.Flush();
        child.WaitUntil(() => Inputs.TemporaryFiles(outputFolder).Any(f => f.StartsWith("." + name + ".", StringComparison.Ordinal)), "its temporary file");
        return child;
    }

    /// <summary>Feeds lines until the child ends (a stopped run reads on until the next line shows it the signal).</summary>
    private static void FeedUntilExit(ElmoProcess child)
    {
        try
        {
            for (int i = 0; i < 2000 && !child.HasExited; i++)
            {
                child.Input.Write(Inputs.Sentences(5, seed: i));
                child.Input.Flush();
            }
            child.Input.Close();
        }
        catch (IOException)
        {
            // The pipe closed: the child has ended.
        }
    }

    [LinuxFact]
    public void SigtermMidEmbedExits143AndLeavesNothing()
    {
        string output = scratch.Folder("out");
        using var child = StartEmbed(output, "out.hdf5");
        Native.Kill(child.Id, Native.SigTerm);
        FeedUntilExit(child);
        var (code, _, stderr) = child.WaitForExit(60);
        Assert.True(code == 143, $"exit {code}: {stderr}");
        Assert.Equal("elmo: interrupted", stderr.Trim());
        Assert.Empty(Directory.GetFileSystemEntries(output));
    }

    [LinuxFact]
    public void SigtermWhileWaitingForInputStillEndsAndLeavesNothing()
    {
        // The command is blocked reading a silent stdin (the test never writes again nor closes it): the process ends
        // after its grace period, its temporary file deleted.
        string output = scratch.Folder("out");
        using var child = StartEmbed(output, "out.hdf5");
        Native.Kill(child.Id, Native.SigTerm);
        var (code, _, stderr) = child.WaitForExit(60);
        Assert.True(code == 143, $"exit {code}: {stderr}");
        Assert.Equal("elmo: interrupted", stderr.Trim());
        Assert.Empty(Directory.GetFileSystemEntries(output));
    }

    [LinuxFact]
    public void AfterSigkillTheNextRunRemovesTheDeadRunsTemporaryFile()
    {
        string output = scratch.Folder("out");
        using (var child = StartEmbed(output, "out.hdf5"))
        {
            Native.Kill(child.Id, Native.SigKill);
            var (code, _, _) = child.WaitForExit(60);
            Assert.Equal(137, code);
        }
        // What SIGKILL leaves: the run's temporary file. Its spill files are unlinked as soon as they are created, so they
        // have no names to leave, unless the kill lands in the moment between a spill file's creation and its unlinking
        // (the temporary file, which the test waits for, is created just before them): then that spill file is left too,
        // beside the temporary file, and the next run must remove it as well.
        string[] left = Inputs.TemporaryFiles(output);
        string temporary = Assert.Single(left, f => !f.Contains(".tmp.", StringComparison.Ordinal));
        Assert.All(left, f => Assert.True(f == temporary || f.StartsWith(temporary + ".", StringComparison.Ordinal), $"{f} is not the dead run's"));

        string input = scratch.Write("in.txt", Inputs.Sentences(50));
        string reference = scratch.PathOf("reference.hdf5");
        CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", reference, "--quiet"]).AssertOk();
        CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", Path.Combine(output, "out.hdf5"), "--quiet"]).AssertOk();
        Assert.Equal(["out.hdf5"], Directory.GetFileSystemEntries(output).Select(Path.GetFileName));
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(Path.Combine(output, "out.hdf5")));
    }

    [LinuxFact]
    public void ALiveRunsTemporaryFileIsNeverRemoved()
    {
        string output = scratch.Folder("out");
        using var child = StartEmbed(output, "a.hdf5");
        string childTemp = Inputs.TemporaryFiles(output).Single();

        string input = scratch.Write("in.txt", Inputs.Sentences(50));
        CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", Path.Combine(output, "b.hdf5"), "--quiet"]).AssertOk();
        Assert.True(File.Exists(Path.Combine(output, childTemp)), "the live run's temporary file was removed");

        child.Input.Close();
        var (code, _, stderr) = child.WaitForExit(60);
        Assert.True(code == 0, stderr);
        // The live run finished whole: the same file as the in-process run of the same 50 lines.
        Assert.Equal(File.ReadAllBytes(Path.Combine(output, "b.hdf5")), File.ReadAllBytes(Path.Combine(output, "a.hdf5")));
        Assert.Empty(Inputs.TemporaryFiles(output));
    }
}
