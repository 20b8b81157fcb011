using ElmoNative.Checkpoints;

namespace ElmoNative.Training;

/// <summary>
/// The checkpoint a fine-tuning run starts from (<see cref="TrainingRunOptions.InitFrom"/>, <c>elmo train --init-from</c>;
/// docs/training.md, "Fine-tuning"): its <c>options.json</c> and HDF5 weights, and, when it has them, the vocabulary its
/// softmax rows belong to and the training options it was trained with.
/// </summary>
/// <param name="OptionsFile">The checkpoint's options JSON (its architecture is the run's).</param>
/// <param name="WeightsFile">Its HDF5 weights (bilm-tf / AllenNLP layout, with or without <c>softmax/W</c>, <c>softmax/b</c>).</param>
public sealed record PretrainedModel(string OptionsFile, string WeightsFile)
{
    /// <summary>
    /// The vocabulary of the checkpoint's softmax (one token per row of <c>softmax/W</c>), or null. Without it the softmax
    /// starts fresh even when the weights hold one: which row is which word would be unknown.
    /// </summary>
    public string? VocabularyFile { get; init; }

    /// <summary>The checkpoint's training options (<c>train_options.json</c>), or null: the default hyper-parameters of a run without <c>--options</c>.</summary>
    public string? TrainingOptionsFile { get; init; }

    /// <summary>
    /// The model of a folder (<see cref="ModelFiles.Resolve"/>: <c>options.json</c> and <c>weights.hdf5</c> or their
    /// published spellings), with the <c>vocab.txt</c> and <c>train_options.json</c> beside the weights when present.
    /// </summary>
    public static PretrainedModel FromDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{directory}: model directory not found");
        var (options, weights) = ModelFiles.Resolve(directory);
        return FromFiles(options, weights);
    }

    /// <summary>The model of an options file and a weights file, with the <c>vocab.txt</c> and <c>train_options.json</c> beside the weights when present.</summary>
    public static PretrainedModel FromFiles(string optionsFile, string weightsFile)
    {
        ArgumentNullException.ThrowIfNull(optionsFile);
        ArgumentNullException.ThrowIfNull(weightsFile);
        string folder = Path.GetDirectoryName(weightsFile) is { Length: > 0 } d ? d : ".";
        string vocabulary = Path.Combine(folder, TrainingCheckpointFolder.VocabularyFileName);
        string training = Path.Combine(folder, Training.TrainingOptionsFile.FileName);
        return new PretrainedModel(optionsFile, weightsFile)
        {
            VocabularyFile = File.Exists(vocabulary) ? vocabulary : null,
            TrainingOptionsFile = File.Exists(training) ? training : null,
        };
    }

    /// <summary>Every file the run reads from the checkpoint (none may lie inside the output folder).</summary>
    public IEnumerable<string> Files => new[] { OptionsFile, WeightsFile, VocabularyFile, TrainingOptionsFile }.OfType<string>();
}

/// <summary>How a fine-tuning run's softmax started (<see cref="TrainingRun.Initialization"/>).</summary>
/// <param name="Source">The checkpoint.</param>
/// <param name="SoftmaxRowsFromCheckpoint">Rows of the new softmax copied from the checkpoint's (matched by word); 0 when it started fresh.</param>
/// <param name="VocabularySize">Rows of the new softmax (the run's vocabulary).</param>
/// <param name="Reason">Why rows start fresh, when some do (no softmax in the weights, no vocabulary beside them, words new to it).</param>
public sealed record FineTuningStart(PretrainedModel Source, int SoftmaxRowsFromCheckpoint, int VocabularySize, string Reason);
