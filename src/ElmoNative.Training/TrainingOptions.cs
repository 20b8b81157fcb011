namespace ElmoNative.Training;

/// <summary>
/// Everything a training run needs besides data: the architecture (<see cref="Model"/>, the inference options) and
/// bilm-tf's training hyper-parameters (docs/model.md section 9). The defaults are bilm-tf's published recipe.
/// </summary>
public sealed record TrainingOptions
{
    /// <summary>The biLM architecture; it is what <c>options.json</c> of the trained model holds.</summary>
    public required ElmoOptions Model { get; init; }

    /// <summary>V: <c>n_tokens_vocab</c>, the softmax size (must equal the vocabulary file's line count).</summary>
    public required int VocabularySize { get; init; }

    /// <summary>B: <c>batch_size</c>, rows per window.</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>T: <c>unroll_steps</c>, steps per window of truncated backpropagation through time.</summary>
    public int UnrollSteps { get; init; } = 20;

    /// <summary><c>n_epochs</c>.</summary>
    public int Epochs { get; init; } = 10;

    /// <summary><c>n_train_tokens</c>: tokens per epoch (counted from the training files when absent).</summary>
    public long? TrainTokens { get; init; }

    /// <summary><c>dropout</c>: probability of dropping an LSTM input/output unit during training.</summary>
    public float Dropout { get; init; } = 0.1f;

    /// <summary><c>all_clip_norm_val</c>: global-norm clip of the gradient of (loss × <see cref="UnrollSteps"/>).</summary>
    public float ClipNorm { get; init; } = 10f;

    /// <summary>S: <c>n_negative_samples_batch</c>, negatives drawn per batch and direction for the sampled softmax.</summary>
    public int NegativeSamples { get; init; } = 8192;

    /// <summary>Adagrad learning rate (bilm-tf: 0.2).</summary>
    public float LearningRate { get; init; } = 0.2f;

    /// <summary>Adagrad initial accumulator value (bilm-tf: 1.0).</summary>
    public float InitialAccumulator { get; init; } = 1f;
}
