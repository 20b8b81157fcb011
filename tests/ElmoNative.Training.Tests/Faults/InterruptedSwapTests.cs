using System.Diagnostics;
using ElmoNative.Checkpoints;

namespace ElmoNative.Training.Tests.Faults;

/// <summary>
/// A checkpoint save cut short by a kill, laid out by hand in each state a kill can leave (docs/training.md,
/// "Interrupted saves"): <c>--resume</c> and a model load finish or roll back the swap by themselves, the run then ends
/// bit for bit where an uninterrupted run ends, and no temporary folder of a dead run is left.
/// </summary>
[Collection(TrainingCliCollection.Name)]
public sealed class InterruptedSwapTests : IDisposable
{
    private const string Tag = "0123abcd";

    private readonly TempFolder dir = new();
    private readonly string options;
    private readonly string earlier, later, straight;

    public InterruptedSwapTests()
    {
        options = FaultSupport.TinyOptions(dir);
        // The checkpoints of windows 2 and 3 of one run, and the uninterrupted run to window 5.
        earlier = dir.Path_("w2");
        later = dir.Path_("w3");
        straight = dir.Path_("straight");
        CliResult.Run(FaultSupport.NewRun(options, earlier, 2)).AssertOk();
        FaultSupport.CopyFolder(earlier, later);
        CliResult.Run(FaultSupport.Resume(later, 3)).AssertOk();
        CliResult.Run(FaultSupport.NewRun(options, straight, 5)).AssertOk();
    }

    public void Dispose() => dir.Dispose();

    /// <summary>The states a kill can leave in <c>run/</c>'s parent, and the window the resume must start after.</summary>
    public enum Cut
    {
        /// <summary>Killed while writing the new folder: <c>run/</c> intact, an incomplete <c>.saving</c>.</summary>
        Writing,

        /// <summary>Killed with the new folder complete, before any rename: <c>run/</c> intact.</summary>
        Written,

        /// <summary>Killed after <c>run/</c> became <c>.old</c>: no <c>run/</c>, complete <c>.saving</c> (rolled forward).</summary>
        FirstMove,

        /// <summary>As <see cref="FirstMove"/> but the <c>.saving</c> folder fails its manifest (rolled back to <c>.old</c>).</summary>
        FirstMoveDamagedNew,

        /// <summary>After the second rename: <c>run/</c> is the new folder, <c>.old</c> still there.</summary>
        SecondMove,

        /// <summary>While deleting <c>.old</c>: part of it is gone.</summary>
        Deleting,

        /// <summary>The first save of a run, complete but not moved in: no <c>run/</c>, no <c>.old</c>.</summary>
        FirstSaveWritten,
    }

    /// <summary>Lays out <paramref name="cut"/> under <c>run</c> (temporary folders of a dead process); returns the window the checkpoint must be at.</summary>
    private long LayOut(Cut cut, string run)
    {
        string parent = Path.GetDirectoryName(run)!, name = Path.GetFileName(run);
        string saving = Path.Combine(parent, $".{name}.saving-{FaultSupport.DeadPid}-{Tag}");
        string old = Path.Combine(parent, $".{name}.old-{FaultSupport.DeadPid}-{Tag}");
        switch (cut)
        {
            case Cut.Writing:
                FaultSupport.CopyFolder(earlier, run);
                FaultSupport.CopyFolder(later, saving);
                File.Delete(Path.Combine(saving, CheckpointManifest.FileName));
                File.Delete(Path.Combine(saving, "vocab.txt"));
                return 2;
            case Cut.Written:
                FaultSupport.CopyFolder(earlier, run);
                FaultSupport.CopyFolder(later, saving);
                return 2;
            case Cut.FirstMove:
                FaultSupport.CopyFolder(earlier, old);
                FaultSupport.CopyFolder(later, saving);
                return 3;
            case Cut.FirstMoveDamagedNew:
                FaultSupport.CopyFolder(earlier, old);
                FaultSupport.CopyFolder(later, saving);
                File.AppendAllText(Path.Combine(saving, "vocab.txt"), "x");
                return 2;
            case Cut.SecondMove:
                FaultSupport.CopyFolder(earlier, old);
                FaultSupport.CopyFolder(later, run);
                return 3;
            case Cut.Deleting:
                FaultSupport.CopyFolder(earlier, old);
                File.Delete(Path.Combine(old, "options.json"));
                FaultSupport.CopyFolder(later, run);
                return 3;
            case Cut.FirstSaveWritten:
                FaultSupport.CopyFolder(later, saving);
                return 3;
            default:
                throw new ArgumentOutOfRangeException(nameof(cut));
        }
    }

    private static long Step(string folder) =>
        (long)System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "training_state.json")))!["step"]!;

    [Theory]
    [InlineData(Cut.Writing)]
    [InlineData(Cut.Written)]
    [InlineData(Cut.FirstMove)]
    [InlineData(Cut.FirstMoveDamagedNew)]
    [InlineData(Cut.SecondMove)]
    [InlineData(Cut.Deleting)]
    [InlineData(Cut.FirstSaveWritten)]
    public void ResumeFinishesOrRollsBackTheCutSaveAndEndsBitIdentical(Cut cut)
    {
        string parent = Directory.CreateDirectory(dir.Path_("p")).FullName;
        string run = Path.Combine(parent, "run");
        long expected = LayOut(cut, run);
        var resumed = CliResult.Run(FaultSupport.Resume(run, 5)).AssertOk();
        Assert.Contains($"windows {expected + 1} to 5", resumed.Stdout);
        Assert.Equal(["run"], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName));
        FaultSupport.AssertSameCheckpoint(straight, run);
    }

    [Theory]
    [InlineData(Cut.FirstMove)]
    [InlineData(Cut.FirstMoveDamagedNew)]
    [InlineData(Cut.Deleting)]
    [InlineData(Cut.FirstSaveWritten)]
    public void AModelLoadFinishesOrRollsBackTheCutSaveToo(Cut cut)
    {
        string parent = Directory.CreateDirectory(dir.Path_("p")).FullName;
        string run = Path.Combine(parent, "run");
        long expected = LayOut(cut, run);
        using (var model = ElmoModel.LoadDirectory(run)) Assert.Equal(16, model.Options.ProjectionDim);
        Assert.Equal(["run"], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName));
        Assert.Equal(expected, Step(run));
    }

    [Fact]
    public void ABareFolderNameOnTheCommandLineFindsTheCutSaveBeforeAnyPublishedModel()
    {
        // `elmo info --model run` from run's parent: "run" has no separator, so it could be a published model's name;
        // the cut save is restored first and the folder is what the command reads.
        string parent = Directory.CreateDirectory(dir.Path_("p")).FullName;
        long expected = LayOut(Cut.FirstMove, Path.Combine(parent, "run"));
        var info = FaultSupport.RunChild(new Dictionary<string, string>(), ["info", "--model", "run"], workingDirectory: parent);
        Assert.True(info.ExitCode == 0, info.Stderr);
        Assert.Equal(["run"], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName));
        Assert.Equal(expected, Step(Path.Combine(parent, "run")));
    }

    [Fact]
    public void AnIncompleteFirstSaveIsRemovedAndNothingIsResumed()
    {
        string parent = Directory.CreateDirectory(dir.Path_("p")).FullName;
        string run = Path.Combine(parent, "run");
        string saving = Path.Combine(parent, $".run.saving-{FaultSupport.DeadPid}-{Tag}");
        FaultSupport.CopyFolder(later, saving);
        File.Delete(Path.Combine(saving, CheckpointManifest.FileName)); // the manifest is written last: incomplete
        CliResult.Run(FaultSupport.Resume(run, 5)).AssertError(1, run, "not found");
        Assert.Empty(Directory.EnumerateFileSystemEntries(parent));
        // A new run into the same folder needs no --force: there was no checkpoint.
        CliResult.Run(FaultSupport.NewRun(options, run, 5)).AssertOk();
        FaultSupport.AssertSameCheckpoint(straight, run);
    }

    [Fact]
    public void AFolderWhosePidNowBelongsToAnotherProcessIsADeadSaversFolder()
    {
        if (!OperatingSystem.IsLinux()) return; // start times are read from /proc
        using var live = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            // /proc/PID/stat field 22, the start time in clock ticks after boot (read here independently of the library).
            string stat = File.ReadAllText($"/proc/{live.Id}/stat");
            string start = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[19];
            string parent = Directory.CreateDirectory(dir.Path_("p")).FullName;
            string run = Path.Combine(parent, "run");
            FaultSupport.CopyFolder(earlier, run);
            string itsOwn = Path.Combine(parent, $".run.saving-{live.Id}-{start}-{Tag}");
            string reused = Path.Combine(parent, $".run.saving-{live.Id}-{long.Parse(start, System.Globalization.CultureInfo.InvariantCulture) + 1}-{Tag}");
            foreach (string folder in new[] { itsOwn, reused }) FaultSupport.CopyFolder(later, folder);
            using (ElmoModel.LoadDirectory(run))
            {
            }
            // The folder of a process that started at another time is a dead saver's, even though its PID runs now.
            Assert.Equal([Path.GetFileName(itsOwn)], FaultSupport.Leftovers(parent));
        }
        finally
        {
            live.Kill();
            live.WaitForExit();
        }
    }

    [Fact]
    public void TheTemporaryFoldersOfALiveProcessAreNeverTouched()
    {
        using var live = Process.Start(new ProcessStartInfo("sleep", "60") { UseShellExecute = false })!;
        try
        {
            string parent = Directory.CreateDirectory(dir.Path_("p")).FullName;
            string run = Path.Combine(parent, "run");
            FaultSupport.CopyFolder(earlier, run);
            string liveSaving = Path.Combine(parent, $".run.saving-{live.Id}-{Tag}");
            string deadSaving = Path.Combine(parent, $".run.saving-{FaultSupport.DeadPid}-{Tag}");
            string otherName = Path.Combine(parent, $".run.saving-x.saving-{FaultSupport.DeadPid}-{Tag}"); // not run's
            foreach (string folder in new[] { liveSaving, deadSaving, otherName }) FaultSupport.CopyFolder(later, folder);
            using (ElmoModel.LoadDirectory(run))
            {
            }
            Assert.Equal([Path.GetFileName(liveSaving), Path.GetFileName(otherName)], FaultSupport.Leftovers(parent));

            // With run/ missing and only a live process's folders there, a load waits for nothing and says so.
            Directory.Delete(run, recursive: true);
            var e = Assert.Throws<DirectoryNotFoundException>(() => ElmoModel.LoadDirectory(run));
            Assert.Contains($"process {live.Id}", e.Message);
            Assert.True(Directory.Exists(liveSaving));
        }
        finally
        {
            live.Kill();
            live.WaitForExit();
        }
    }
}
