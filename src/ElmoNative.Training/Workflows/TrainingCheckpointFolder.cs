using System.Diagnostics;
using System.Globalization;
using ElmoNative.Checkpoints;
using ElmoNative.Training.Data;

namespace ElmoNative.Training;

/// <summary>
/// The checkpoint folder a <see cref="TrainingRun"/> writes and resumes from (docs/training.md, "elmo train"):
/// <c>options.json</c> and <c>weights.hdf5</c> (a model for ElmoModel.LoadDirectory, plus the softmax),
/// <c>training_state.hdf5</c> and <c>training_state.json</c> (optimizer and carried LSTM state, step, seed; see
/// <see cref="BiLmTrainer.Save"/>), <c>train_options.json</c> (<see cref="TrainingOptionsFile"/>),
/// <c>reader_position.json</c> (<see cref="WindowReaderPosition"/>), <c>vocab.txt</c>, and last <c>manifest.json</c>
/// (<see cref="CheckpointManifest"/>: size and SHA-256 of each of the others).
/// </summary>
public static class TrainingCheckpointFolder
{
    /// <summary>The copy of the vocabulary a checkpoint folder holds.</summary>
    public const string VocabularyFileName = "vocab.txt";

    /// <summary>
    /// Test hook (docs/reliability.md): <c>POINT</c> or <c>POINT@N</c> kills the process with SIGKILL at that point of
    /// the N-th <see cref="Save"/> of the process (default the first): <c>writing</c> (some files of the new folder
    /// written), or one of <see cref="CheckpointFolderSwap.Points"/>.
    /// </summary>
    internal const string KillAtVariable = "ELMONATIVE_TEST_KILL_AT";

    /// <summary>The point of a save where part of the new folder is written (no manifest yet).</summary>
    internal const string WritingPoint = "writing";

    private static int saves;

    /// <summary>The files of a checkpoint folder, each listed in its manifest.</summary>
    public static IReadOnlyList<string> FileNames { get; } =
    [
        ModelFiles.OptionsFileName, ModelFiles.WeightsFileName, BiLmTrainer.StateFileName, BiLmTrainer.StateInfoFileName,
        TrainingOptionsFile.FileName, WindowReaderPosition.FileName, VocabularyFileName,
    ];

    /// <summary>
    /// Writes the whole checkpoint into a sibling temporary folder (<c>.NAME.saving-PID-TAG</c>), its manifest last, and
    /// swaps it in for <paramref name="directory"/> (whose parent must exist), so that the folder always holds one complete
    /// checkpoint; on failure the previous folder is kept. A save cut short by a kill is finished or rolled back by the next
    /// <see cref="Recover"/> (every resume and model load runs it).
    /// </summary>
    public static void Save(string directory, BiLmTrainer trainer, WindowReaderPosition position, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(position);
        ArgumentNullException.ThrowIfNull(vocabulary);
        int save = Interlocked.Increment(ref saves);
        CheckpointFolderSwap.Recover(directory); // temporary folders of dead runs
        string temp = CheckpointFolderSwap.NewSavingPath(directory);
        try
        {
            trainer.Save(temp);
            Reached(WritingPoint, save);
            TrainingOptionsFile.Save(trainer.Options, Path.Combine(temp, TrainingOptionsFile.FileName));
            position.Save(Path.Combine(temp, WindowReaderPosition.FileName));
            vocabulary.Save(Path.Combine(temp, VocabularyFileName));
            CheckpointManifest.Write(temp);
            CheckpointFolderSwap.SwapIn(temp, directory, point => Reached(point, save));
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>
    /// Finishes or rolls back a save of <paramref name="directory"/> that a killed run left half done, and removes the
    /// temporary folders of dead runs (<see cref="CheckpointFolderSwap.Recover"/>).
    /// </summary>
    public static void Recover(string directory) => CheckpointFolderSwap.Recover(directory);

    /// <summary>
    /// Checks a checkpoint folder before a resume: every file against <c>manifest.json</c> (the first that changed, is
    /// missing or is not listed is an <see cref="InvalidDataException"/> or <see cref="FileNotFoundException"/> naming
    /// it). A folder without a manifest whose <c>training_state.json</c> says it was written with one is refused; one
    /// written before manifests existed is accepted, and the returned warning says its files are not verified.
    /// </summary>
    public static string? Verify(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (CheckpointManifest.Exists(directory))
        {
            var listed = CheckpointManifest.Verify(directory).Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
            foreach (string name in FileNames)
            {
                if (!listed.Contains(name))
                    throw new InvalidDataException($"{Path.Combine(directory, name)}: not listed in {Path.Combine(directory, CheckpointManifest.FileName)} (the manifest was replaced)");
            }
            return null;
        }
        string manifest = Path.Combine(directory, CheckpointManifest.FileName);
        string info = Path.Combine(directory, BiLmTrainer.StateInfoFileName);
        if (!File.Exists(info) || BiLmTrainer.DeclaresManifest(info))
            throw new FileNotFoundException($"{manifest}: missing (the checkpoint was written with a manifest; without it its files cannot be verified)", manifest);
        return $"{directory}: checkpoint written before manifests existed (no {CheckpointManifest.FileName}); its files are not verified. The next checkpoint saved will have one";
    }

    /// <summary>The test hook of <see cref="KillAtVariable"/>.</summary>
    private static void Reached(string point, int save)
    {
        string? spec = Environment.GetEnvironmentVariable(KillAtVariable);
        if (string.IsNullOrEmpty(spec)) return;
        int at = spec.IndexOf('@', StringComparison.Ordinal);
        string name = at < 0 ? spec : spec[..at];
        int nth = 1;
        if (at >= 0 && !int.TryParse(spec[(at + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out nth)) return;
        if (name != point || nth != save) return;
        using var self = Process.GetCurrentProcess();
        self.Kill(); // SIGKILL
        Thread.Sleep(Timeout.Infinite);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
