namespace ElmoNative.Training;

/// <summary>What a <see cref="TrainingProgress"/> report is about.</summary>
public enum TrainingProgressKind
{
    /// <summary>A training window was trained.</summary>
    Window,

    /// <summary>A checkpoint was saved (after the validation, if any).</summary>
    Checkpoint,
}

/// <summary>
/// One report of a <see cref="TrainingRun"/>, given to the progress sink on the training thread, in order: one per
/// window trained, and one after each checkpoint saved (periodic and final; not the one saved on cancellation).
/// </summary>
public sealed record TrainingProgress
{
    /// <summary>Which event this is.</summary>
    public required TrainingProgressKind Kind { get; init; }

    /// <summary>Windows trained in all (counting those before a resume): the global step.</summary>
    public required long Window { get; init; }

    /// <summary>The window the run stops after.</summary>
    public required long TotalWindows { get; init; }

    /// <summary>Windows trained by this run (since it started or resumed).</summary>
    public required long WindowsThisRun { get; init; }

    /// <summary>Tokens per direction trained by this run.</summary>
    public required long TokensThisRun { get; init; }

    /// <summary>1-based number of the epoch <see cref="Window"/> belongs to.</summary>
    public required long EpochNumber { get; init; }

    /// <summary>Epochs done: <see cref="Window"/> / windows per epoch.</summary>
    public required double Epochs { get; init; }

    /// <summary>The losses of the last window trained.</summary>
    public required TrainingStepResult LastStep { get; init; }

    /// <summary>Moving average (weight 0.02) of the mean sampled-softmax loss of the windows of this run.</summary>
    public required double SmoothedLoss { get; init; }

    /// <summary>For <see cref="TrainingProgressKind.Checkpoint"/>: the checkpoint's losses and validation; otherwise null.</summary>
    public TrainingCheckpointReport? Checkpoint { get; init; }
}

/// <summary>What a checkpoint reports: the mean sampled-softmax losses since the previous one, and the validation.</summary>
/// <param name="Directory">The checkpoint folder written.</param>
/// <param name="ForwardLoss">Mean forward loss of the windows since the previous checkpoint (nats per token).</param>
/// <param name="BackwardLoss">Mean backward loss of those windows.</param>
/// <param name="Loss">Mean of the two (<c>(forward sum + backward sum) / (2 windows)</c>).</param>
/// <param name="Windows">Windows since the previous checkpoint.</param>
/// <param name="Validation">Full-softmax perplexities of the validation text; null without one, or when cancellation skipped it.</param>
public sealed record TrainingCheckpointReport(string Directory, double ForwardLoss, double BackwardLoss, double Loss, long Windows, Perplexities? Validation);

/// <summary>The outcome of <see cref="TrainingRun.Run"/>.</summary>
/// <param name="Windows">Windows trained by this run.</param>
/// <param name="Tokens">Tokens per direction trained by this run.</param>
/// <param name="StepTime">Time spent reading and training windows (checkpoints and validation excluded).</param>
/// <param name="FinalTrainLoss">The mean sampled-softmax loss at the last checkpoint (NaN when nothing was trained).</param>
/// <param name="Validation">The validation perplexities at the last checkpoint, if measured.</param>
public sealed record TrainingRunResult(long Windows, long Tokens, TimeSpan StepTime, double FinalTrainLoss, Perplexities? Validation);

/// <summary>The loss became NaN or infinite; the last checkpoint saved is kept.</summary>
public sealed class TrainingDivergedException : Exception
{
    /// <summary>An exception with <paramref name="message"/>.</summary>
    public TrainingDivergedException(string message) : base(message)
    {
    }

    /// <summary>An exception without a message of its own.</summary>
    public TrainingDivergedException()
    {
    }

    /// <summary>An exception with <paramref name="message"/> and its cause.</summary>
    public TrainingDivergedException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
