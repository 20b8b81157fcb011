using ElmoNative.Training.Data;

namespace ElmoNative.Training;

/// <summary>
/// The checkpoint folder a <see cref="TrainingRun"/> writes and resumes from (docs/training.md, "elmo train"):
/// <c>options.json</c> and <c>weights.hdf5</c> (a model for ElmoModel.LoadDirectory, plus the softmax),
/// <c>training_state.hdf5</c> and <c>training_state.json</c> (optimizer and carried LSTM state, step, seed; see
/// <see cref="BiLmTrainer.Save"/>), <c>train_options.json</c> (<see cref="TrainingOptionsFile"/>),
/// <c>reader_position.json</c> (<see cref="WindowReaderPosition"/>) and <c>vocab.txt</c>.
/// </summary>
public static class TrainingCheckpointFolder
{
    /// <summary>The copy of the vocabulary a checkpoint folder holds.</summary>
    public const string VocabularyFileName = "vocab.txt";

    /// <summary>
    /// Writes the whole checkpoint into a sibling temporary folder (<c>.NAME.saving-XXXXXXXX</c>) and swaps it in for
    /// <paramref name="directory"/> (whose parent must exist), so that the folder always holds one complete checkpoint;
    /// on failure the previous folder is kept.
    /// </summary>
    public static void Save(string directory, BiLmTrainer trainer, WindowReaderPosition position, Vocabulary vocabulary)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(position);
        ArgumentNullException.ThrowIfNull(vocabulary);
        string full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full)!, name = Path.GetFileName(full);
        string tag = Guid.NewGuid().ToString("N")[..8];
        string temp = Path.Combine(parent, $".{name}.saving-{tag}");
        string old = Path.Combine(parent, $".{name}.old-{tag}");
        try
        {
            trainer.Save(temp);
            TrainingOptionsFile.Save(trainer.Options, Path.Combine(temp, TrainingOptionsFile.FileName));
            position.Save(Path.Combine(temp, WindowReaderPosition.FileName));
            vocabulary.Save(Path.Combine(temp, VocabularyFileName));
            if (Directory.Exists(full))
            {
                Directory.Move(full, old);
                Directory.Move(temp, full);
                Directory.Delete(old, recursive: true);
            }
            else
            {
                Directory.Move(temp, full);
            }
        }
        catch
        {
            TryDelete(temp);
            if (!Directory.Exists(full) && Directory.Exists(old)) Directory.Move(old, full);
            throw;
        }
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
