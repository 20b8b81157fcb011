using ElmoNative.Training.Data;

namespace ElmoNative.Training;

/// <summary>
/// What a <see cref="TrainingRun"/> trains on and where it writes (the options of <c>elmo train</c>; docs/training.md).
/// A new run needs <see cref="TrainFiles"/>, <see cref="OutputDirectory"/>, the training options
/// (<see cref="Options"/> or <see cref="OptionsFile"/>) and the vocabulary (<see cref="Vocabulary"/> or
/// <see cref="VocabularyFile"/>); a resumed run (<see cref="ResumeFrom"/>) takes options, vocabulary and seed from the
/// checkpoint unless given (given ones must agree, except <c>n_epochs</c> and <c>n_train_tokens</c>).
/// </summary>
public sealed record TrainingRunOptions
{
    /// <summary>Training text: files or patterns (<see cref="FileGlob"/>) of one sentence per line.</summary>
    public required IReadOnlyList<string> TrainFiles { get; init; }

    /// <summary>Validation text: its full-softmax perplexity is measured at each checkpoint and at the end (none when empty).</summary>
    public IReadOnlyList<string> ValidFiles { get; init; } = [];

    /// <summary>The checkpoint folder to write; by default <see cref="ResumeFrom"/>. Must be new or empty unless <see cref="ReplaceOutput"/> or it is <see cref="ResumeFrom"/>.</summary>
    public string? OutputDirectory { get; init; }

    /// <summary>Replace a non-empty <see cref="OutputDirectory"/> (never one holding an input).</summary>
    public bool ReplaceOutput { get; init; }

    /// <summary>The training options; when null they are read from <see cref="OptionsFile"/> (or taken from the checkpoint on a resume).</summary>
    public TrainingOptions? Options { get; init; }

    /// <summary>A training options file (bilm-tf's format, <see cref="TrainingOptionsFile"/>), read when <see cref="Options"/> is null; errors name it.</summary>
    public string? OptionsFile { get; init; }

    /// <summary>The vocabulary; when null it is read from <see cref="VocabularyFile"/> (or taken from the checkpoint on a resume).</summary>
    public Vocabulary? Vocabulary { get; init; }

    /// <summary>A vocabulary file, read when <see cref="Vocabulary"/> is null; errors name it.</summary>
    public string? VocabularyFile { get; init; }

    /// <summary>A checkpoint folder to continue from, exactly as if the run had not stopped.</summary>
    public string? ResumeFrom { get; init; }

    /// <summary>
    /// A published or trained checkpoint to fine-tune (not with <see cref="ResumeFrom"/>; docs/training.md,
    /// "Fine-tuning"): the run's architecture is the checkpoint's, its weights the starting point (the softmax rows of words
    /// the checkpoint's vocabulary lacks, or all of them when it has no softmax, start fresh). The training options
    /// (<see cref="Options"/>, <see cref="OptionsFile"/>) are optional then: given ones must have the checkpoint's
    /// architecture; by default they are the checkpoint's <c>train_options.json</c>, else bilm-tf's defaults, with
    /// <c>n_tokens_vocab</c> the vocabulary's size. The vocabulary defaults to the checkpoint's <c>vocab.txt</c>.
    /// </summary>
    public PretrainedModel? InitFrom { get; init; }

    /// <summary>Seed of the initialization, shuffles, samples and dropout (default 0; on a resume, the checkpoint's, which a given one must equal).</summary>
    public int? Seed { get; init; }

    /// <summary>Save a checkpoint every N windows (0: only at the end).</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>Stop after this many windows in all (counting those before a resume); null: n_epochs x windows per epoch.</summary>
    public long? MaxWindows { get; init; }
}
