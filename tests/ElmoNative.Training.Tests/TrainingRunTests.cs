using System.Text.Json.Nodes;
using ElmoNative.Training.Data;
using PureHDF;

namespace ElmoNative.Training.Tests;

/// <summary>
/// The training workflow as a library call (<see cref="TrainingRun"/>, <see cref="PerplexityEvaluation"/>) on bilm-tf's
/// training fixture with the tiny configuration of examples/training/tiny.json: resume and cancellation continue
/// exactly, progress reports are ordered, bad input fails before anything is written.
/// </summary>
[Collection(TrainingCliCollection.Name)]
public sealed class TrainingRunTests : IDisposable
{
    private static readonly string[] Tensors = ["char_embed", "softmax/W", "softmax/b", "RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_0", "CNN_proj/W_proj"];

    private readonly TempFolder dir = new();

    private static string Data => DataFixtures.BilmTrain("data.txt");

    private static string Vocab => DataFixtures.BilmTrain("vocab.txt");

    private static TrainingOptions Tiny(int epochs = 100)
    {
        var node = JsonNode.Parse(File.ReadAllText(Path.Combine(DataFixtures.RepositoryRoot, "examples", "training", "tiny.json")))!.AsObject();
        node["n_epochs"] = epochs;
        return TrainingOptionsFile.Parse(node.ToJsonString());
    }

    private TrainingRunOptions NewRun(string output, long maxWindows, int seed = 7, int checkpointEvery = 20, bool valid = true) => new()
    {
        TrainFiles = [Data],
        ValidFiles = valid ? [Data] : [],
        OutputDirectory = dir.Path_(output),
        Options = Tiny(),
        VocabularyFile = Vocab,
        Seed = seed,
        CheckpointEvery = checkpointEvery,
        MaxWindows = maxWindows,
    };

    private TrainingRunOptions Resume(string folder, long maxWindows, int checkpointEvery = 20, bool valid = true) => new()
    {
        TrainFiles = [Data],
        ValidFiles = valid ? [Data] : [],
        ResumeFrom = dir.Path_(folder),
        CheckpointEvery = checkpointEvery,
        MaxWindows = maxWindows,
    };

    private static (TrainingRunResult Result, List<TrainingProgress> Reports) Train(TrainingRunOptions options, Action<TrainingProgress>? onReport = null, CancellationToken cancellation = default)
    {
        var reports = new List<TrainingProgress>();
        using var run = TrainingRun.Open(options, cancellation);
        var result = run.Run(new Sink(r =>
        {
            reports.Add(r);
            onReport?.Invoke(r);
        }), cancellation);
        return (result, reports);
    }

    private static float[] Dataset(string file, string name)
    {
        using var h5 = H5File.OpenRead(file);
        return h5.Dataset(name).Read<float[]>();
    }

    /// <summary>The same parameters, Adagrad accumulators, carried LSTM state and reader position: the same files, byte for byte.</summary>
    private void AssertSameParameters(string a, string b)
    {
        foreach (string name in Tensors)
            Assert.Equal(Dataset(dir.Path_($"{a}/weights.hdf5"), name), Dataset(dir.Path_($"{b}/weights.hdf5"), name));
        foreach (string file in new[] { "weights.hdf5", BiLmTrainer.StateFileName, BiLmTrainer.StateInfoFileName, "reader_position.json", "train_options.json", "vocab.txt" })
            Assert.True(File.ReadAllBytes(dir.Path_($"{a}/{file}")).AsSpan().SequenceEqual(File.ReadAllBytes(dir.Path_($"{b}/{file}"))), file);
    }

    [Fact]
    public void ResumeEqualsAnUninterruptedRunBitForBit()
    {
        var (whole, wholeReports) = Train(NewRun("whole", 60));
        var (first, _) = Train(NewRun("parts", 30));
        var (rest, restReports) = Train(Resume("parts", 60));
        Assert.Equal(60, whole.Windows);
        Assert.Equal(30, first.Windows);
        Assert.Equal(30, rest.Windows);
        Assert.Equal(30 * 4 * 10, rest.Tokens);
        // Windows 41-60 are the last checkpoint's in both runs: the same losses, bit for bit.
        var a = wholeReports.Last().Checkpoint!;
        var b = restReports.Last().Checkpoint!;
        Assert.Equal((a.ForwardLoss, a.BackwardLoss, a.Loss, a.Windows, a.Validation), (b.ForwardLoss, b.BackwardLoss, b.Loss, b.Windows, b.Validation));
        Assert.Equal(whole.FinalTrainLoss, rest.FinalTrainLoss);
        Assert.Equal(whole.Validation, rest.Validation);
        AssertSameParameters("whole", "parts");
        Assert.Equal([".", "parts", "whole"], [".", .. dir.Entries()]); // no temporary folder left
    }

    [Fact]
    public void ProgressReportsEveryWindowInOrderAndEachCheckpoint()
    {
        var (result, reports) = Train(NewRun("out", 25, checkpointEvery: 10));
        var windows = reports.Where(r => r.Kind == TrainingProgressKind.Window).ToList();
        Assert.Equal(Enumerable.Range(1, 25).Select(i => (long)i), windows.Select(r => r.Window));
        Assert.Equal(windows.Select(r => r.Window), windows.Select(r => r.WindowsThisRun));
        Assert.All(windows, r => Assert.Equal(r.WindowsThisRun * 40, r.TokensThisRun));
        Assert.All(windows, r => Assert.Equal(25, r.TotalWindows));
        Assert.All(windows, r => Assert.True(double.IsFinite(r.SmoothedLoss) && r.SmoothedLoss > 0));
        // The smoothed loss is the 0.98/0.02 moving average of the windows' mean losses.
        double smoothed = double.NaN;
        foreach (var r in windows)
        {
            double loss = (r.LastStep.ForwardLoss + r.LastStep.BackwardLoss) / 2;
            smoothed = double.IsNaN(smoothed) ? loss : 0.98 * smoothed + 0.02 * loss;
            Assert.Equal(smoothed, r.SmoothedLoss);
        }
        var checkpoints = reports.Where(r => r.Kind == TrainingProgressKind.Checkpoint).ToList();
        Assert.Equal([10L, 20, 25], checkpoints.Select(r => r.Window));
        Assert.Equal([10L, 10, 5], checkpoints.Select(r => r.Checkpoint!.Windows));
        // Each checkpoint comes right after its window's report, and averages the windows since the previous one.
        foreach (var c in checkpoints)
        {
            int at = reports.IndexOf(c);
            Assert.Equal((TrainingProgressKind.Window, c.Window), (reports[at - 1].Kind, reports[at - 1].Window));
            var since = windows.Where(w => w.Window > c.Window - c.Checkpoint!.Windows && w.Window <= c.Window).ToList();
            Assert.Equal(since.Sum(w => w.LastStep.ForwardLoss) / since.Count, c.Checkpoint!.ForwardLoss, 12);
            Assert.Equal(since.Sum(w => w.LastStep.BackwardLoss) / since.Count, c.Checkpoint.BackwardLoss, 12);
            Assert.NotNull(c.Checkpoint.Validation);
        }
        Assert.Equal(checkpoints[^1].Checkpoint!.Loss, result.FinalTrainLoss);
        Assert.True(result.StepTime > TimeSpan.Zero);
    }

    [Fact]
    public void CancellationSavesACheckpointThatResumesExactly()
    {
        using var cancel = new CancellationTokenSource();
        string stopped = dir.Path_("stopped");
        long lastReported = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => Train(NewRun("stopped", 15, checkpointEvery: 0, valid: false), r =>
        {
            lastReported = r.Window;
            if (r.Window == 6) cancel.Cancel();
        }, cancel.Token));
        Assert.Equal(6, lastReported);
        Assert.Equal(6, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(stopped, "reader_position.json")))!["windows"]!);
        Assert.Equal(6, (int)JsonNode.Parse(File.ReadAllText(Path.Combine(stopped, BiLmTrainer.StateInfoFileName)))!["step"]!);

        var (rest, _) = Train(Resume("stopped", 15, checkpointEvery: 0, valid: false));
        Assert.Equal(9, rest.Windows);
        Train(NewRun("straight", 15, checkpointEvery: 0, valid: false));
        AssertSameParameters("straight", "stopped");

        // Resuming a finished run has nothing to do and writes nothing.
        DateTime saved = File.GetLastWriteTimeUtc(Path.Combine(stopped, "weights.hdf5"));
        using var again = TrainingRun.Open(Resume("stopped", 15, valid: false));
        Assert.Equal(again.TotalWindows, again.FirstWindow);
        var nothing = again.Run();
        Assert.Equal(0, nothing.Windows);
        Assert.Equal(saved, File.GetLastWriteTimeUtc(Path.Combine(stopped, "weights.hdf5")));
    }

    [Fact]
    public async Task RunAsyncGivesTheSameModelAsRun()
    {
        Train(NewRun("sync", 12, valid: false));
        var result = await TrainingRun.RunAsync(NewRun("async", 12, valid: false));
        Assert.Equal(12, result.Windows);
        AssertSameParameters("sync", "async");
    }

    [Fact]
    public void PerplexityOfTheCheckpointEqualsTheRunsValidation()
    {
        var (result, _) = Train(NewRun("model", 20, checkpointEvery: 0));
        var valid = result.Validation!.Value;
        var p = PerplexityEvaluation.Evaluate(dir.Path_("model"), [Data]);
        Assert.Equal(valid, p); // the same weights, batch size and text: the same sums
        Assert.Equal(139, p.Tokens); // 134 words and 5 sentence ends
        Assert.Equal(Math.Sqrt(p.Forward * p.Backward), p.Average, 9);

        // Another batch size reads the rows in another order: close, not equal.
        using var evaluation = PerplexityEvaluation.Open(dir.Path_("model"), [Data], batchSize: 3);
        var windows = new List<long>();
        var other = evaluation.Run(new Sink<long>(windows.Add));
        Assert.Equal(Enumerable.Range(1, windows.Count).Select(i => (long)i), windows);
        Assert.Equal(5, evaluation.EstimatedWindows); // ceil(139 / (3 x 10))
        Assert.True(windows.Count >= evaluation.EstimatedWindows, "rows end unevenly: at least the estimate");
        Assert.Equal(3, evaluation.Options.BatchSize);
        Assert.Equal(139, other.Tokens);
    }

    [Fact]
    public void BadInputFailsBeforeAnythingIsWritten()
    {
        string small = dir.Write("small.txt", "<S>\n</S>\n<UNK>\nthe\n");
        var e = Assert.Throws<InvalidDataException>(() => TrainingRun.Open(NewRun("out", 5) with { VocabularyFile = small }));
        Assert.Contains(small, e.Message);
        Assert.Contains("n_tokens_vocab is 32", e.Message);

        string bad = dir.Write("bad.txt", [.. "fine\n"u8, 0xFE, (byte)'\n']);
        e = Assert.Throws<InvalidDataException>(() => TrainingRun.Open(NewRun("out", 5) with { TrainFiles = [bad] }));
        Assert.Contains(bad + ":2:", e.Message);

        Assert.Throws<FileNotFoundException>(() => TrainingRun.Open(NewRun("out", 5) with { TrainFiles = [dir.Path_("none.txt")] }));
        Assert.Throws<DirectoryNotFoundException>(() => TrainingRun.Open(Resume("nothing-here", 5)));

        string inside = dir.Write("corpus/train.txt", File.ReadAllText(Data));
        var a = Assert.Throws<ArgumentException>(() => TrainingRun.Open(NewRun("corpus", 5) with { TrainFiles = [inside], ReplaceOutput = true }));
        Assert.Contains("holds the input", a.Message);

        dir.Write("full/keep.txt", "keep me");
        Assert.Throws<IOException>(() => TrainingRun.Open(NewRun("full", 5)));
        Assert.Equal(["bad.txt", "corpus", "full", "small.txt"], dir.Entries());
        Assert.Equal(["keep.txt"], dir.Entries("full"));

        // A given seed must be the checkpoint's.
        Train(NewRun("ckpt", 2, seed: 2, valid: false));
        e = Assert.Throws<InvalidDataException>(() => TrainingRun.Open(Resume("ckpt", 4) with { Seed = 3 }));
        Assert.Contains("seed 2", e.Message);
        // A vocabulary object works as a file does.
        using var run = TrainingRun.Open(NewRun("objects", 1) with { VocabularyFile = null, Vocabulary = Vocabulary.Load(Vocab) });
        Assert.Equal(32, run.Vocabulary.Count);
    }

    public void Dispose() => dir.Dispose();

    /// <summary>Records reports synchronously, on the training thread (Progress{T} would post them elsewhere).</summary>
    private sealed class Sink(Action<TrainingProgress> action) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => action(value);
    }

    private sealed class Sink<T>(Action<T> action) : IProgress<T>
    {
        public void Report(T value) => action(value);
    }
}
