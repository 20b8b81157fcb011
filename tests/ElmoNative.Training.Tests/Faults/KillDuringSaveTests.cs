namespace ElmoNative.Training.Tests.Faults;

/// <summary>
/// A real <c>elmo train</c> child process killed with SIGKILL at each named point of a checkpoint save (the test hook
/// ELMONATIVE_TEST_KILL_AT, docs/reliability.md), then resumed: the checkpoint left behind loads and the resumed run
/// ends bit for bit where an uninterrupted one ends, with no temporary folder left.
/// </summary>
[Collection(TrainingCliCollection.Name)]
public sealed class KillDuringSaveTests : IDisposable
{
    private const int Windows = 5;

    private readonly TempFolder dir = new();
    private readonly string options;
    private readonly string straight;

    public KillDuringSaveTests()
    {
        options = FaultSupport.TinyOptions(dir);
        straight = dir.Path_("straight");
        CliResult.Run(FaultSupport.NewRun(options, straight, Windows)).AssertOk();
    }

    public void Dispose() => dir.Dispose();

    [Theory]
    [InlineData("writing@3", false)]
    [InlineData("written@3", true)]
    [InlineData("first-move@3", false)]
    [InlineData("first-move@3", true)]
    [InlineData("second-move@3", false)]
    [InlineData("deleting@3", true)]
    [InlineData("written@1", false)]
    [InlineData("second-move@1", true)]
    public void KilledInsideASaveResumesToTheUninterruptedWeights(string point, bool loadFirst)
    {
        string parent = Directory.CreateDirectory(dir.Path_("p")).FullName;
        string run = Path.Combine(parent, "run");
        var killed = FaultSupport.RunChild(new Dictionary<string, string> { ["ELMONATIVE_TEST_KILL_AT"] = point }, FaultSupport.NewRun(options, run, Windows));
        Assert.True(killed.ExitCode == FaultSupport.Killed, killed.Describe());
        int save = int.Parse(point[(point.IndexOf('@') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(save - 1, killed.Stdout.Split('\n').Count(l => l.StartsWith("window ", StringComparison.Ordinal))); // killed inside save N
        if (loadFirst)
        {
            using var model = ElmoModel.LoadDirectory(run); // any load finishes or rolls back the cut save
            Assert.Equal(["run"], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName));
        }
        CliResult.Run(FaultSupport.Resume(run, Windows)).AssertOk();
        Assert.Equal(["run"], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName));
        FaultSupport.AssertSameCheckpoint(straight, run);
    }

    [Fact]
    public void KilledInsideTheFirstSaveLeavesNothingAndANewRunNeedsNoForce()
    {
        string parent = Directory.CreateDirectory(dir.Path_("p")).FullName;
        string run = Path.Combine(parent, "run");
        var killed = FaultSupport.RunChild(new Dictionary<string, string> { ["ELMONATIVE_TEST_KILL_AT"] = "writing" }, FaultSupport.NewRun(options, run, Windows));
        Assert.True(killed.ExitCode == FaultSupport.Killed, killed.Describe());
        Assert.Single(FaultSupport.Leftovers(parent)); // the half-written .run.saving-PID-TAG of the dead run
        CliResult.Run(FaultSupport.NewRun(options, run, Windows)).AssertOk();
        Assert.Equal(["run"], Directory.EnumerateFileSystemEntries(parent).Select(Path.GetFileName));
        FaultSupport.AssertSameCheckpoint(straight, run);
    }
}
