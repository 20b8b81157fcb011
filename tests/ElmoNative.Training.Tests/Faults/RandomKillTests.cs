using Xunit.Abstractions;

namespace ElmoNative.Training.Tests.Faults;

/// <summary>
/// <c>elmo train</c> child processes killed with SIGKILL at random moments (a checkpoint every window, so most kills land
/// in or near a save), each time resumed by a new child until the run ends: after every kill the folder loads whenever a
/// checkpoint had been reported saved, and the end state equals an uninterrupted run's bit for bit. The seed is printed;
/// ELMONATIVE_FAULT_SEED replays one.
/// </summary>
[Collection(TrainingCliCollection.Name)]
public sealed class RandomKillTests(ITestOutputHelper output) : IDisposable
{
    private const int Windows = 40;
    private const int Kills = 4;

    private readonly TempFolder dir = new();

    public void Dispose() => dir.Dispose();

    [Fact]
    public void RandomKillsThenResumesEndBitIdenticalToAnUninterruptedRun()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable("ELMONATIVE_FAULT_SEED"), out int s) ? s : Environment.TickCount & 0xFFFF;
        output.WriteLine($"seed {seed} (replay with ELMONATIVE_FAULT_SEED={seed})");
        var random = new Random(seed);
        string options = FaultSupport.TinyOptions(dir);
        string straight = dir.Path_("straight");
        CliResult.Run(FaultSupport.NewRun(options, straight, Windows)).AssertOk();

        string parent = Directory.CreateDirectory(dir.Path_("p")).FullName;
        string run = Path.Combine(parent, "run");
        bool everSaved = false;
        for (int kill = 0; kill <= Kills; kill++)
        {
            bool resume = Directory.Exists(run) || FaultSupport.Leftovers(parent).Length > 0;
            string[] args = resume ? FaultSupport.Resume(run, Windows) : FaultSupport.NewRun(options, run, Windows);
            int delay = random.Next(0, 500);
            var result = FaultSupport.RunChild(new Dictionary<string, string>(), args, kill == Kills ? null : (process, stdout) =>
            {
                // From the opening line on (the process has started training), a random wait, then SIGKILL.
                while (!process.HasExited && !stdout().Contains(" windows ", StringComparison.Ordinal)) Thread.Sleep(5);
                Thread.Sleep(delay);
                if (!process.HasExited) process.Kill();
            });
            string context = $"seed {seed}, run {kill} ({(resume ? "resume" : "new")}), kill {delay} ms after the opening line\n{result.Describe()}";
            if (result.ExitCode == 1 && resume && result.Stderr.Contains("not found", StringComparison.Ordinal))
            {
                // Killed before the first checkpoint of a new run, inside that save: nothing to resume (and nothing left).
                Assert.False(everSaved, context);
                Assert.Empty(FaultSupport.Leftovers(parent));
                if (kill == Kills)
                {
                    // The last run, which is not killed, had nothing to resume (on a slow or busy machine every kill can
                    // come before the first save): a new run, not killed, ends the test.
                    var fresh = FaultSupport.RunChild(new Dictionary<string, string>(), FaultSupport.NewRun(options, run, Windows), null);
                    Assert.True(fresh.ExitCode == 0, $"{context}\nthen a new run:\n{fresh.Describe()}");
                }
                continue;
            }
            if (kill == Kills)
            {
                Assert.True(result.ExitCode == 0, context);
                break;
            }
            Assert.True(result.ExitCode is 0 or FaultSupport.Killed, context);
            everSaved |= result.Stdout.Contains("; saved ", StringComparison.Ordinal);
            if (everSaved)
            {
                using var model = ElmoModel.LoadDirectory(run); // finishes or rolls back a cut save
                Assert.True(FaultSupport.Leftovers(parent).Length == 0, context);
            }
            output.WriteLine($"run {kill}: exit {result.ExitCode} after {delay} ms, {result.Stdout.Split('\n').Count(l => l.StartsWith("window ", StringComparison.Ordinal))} checkpoints reported");
        }
        FaultSupport.AssertSameCheckpoint(straight, run);
    }
}
