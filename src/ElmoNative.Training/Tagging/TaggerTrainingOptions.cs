namespace ElmoNative.Training.Tagging;

/// <summary>How <see cref="TaggerTrainer"/> trains a tagger (docs/tagger.md, "Training").</summary>
public sealed record TaggerTrainingOptions
{
    /// <summary>Which tags are learned.</summary>
    public TagScheme Scheme { get; init; } = TagScheme.Brown;

    /// <summary>Which ELMo representation the classifier sees.</summary>
    public LayerMixMode Mix { get; init; } = LayerMixMode.Learned;

    /// <summary>Units of the hidden ReLU layer; 0 (the default) for a softmax directly on the mix.</summary>
    public int Hidden { get; init; }

    /// <summary>Passes over the training sentences; the parameters of the epoch with the best validation accuracy are kept.</summary>
    public int Epochs { get; init; } = 5;

    /// <summary>Sentences per update.</summary>
    public int BatchSentences { get; init; } = 32;

    /// <summary>Adagrad learning rate.</summary>
    public float LearningRate { get; init; } = 0.1f;

    /// <summary>Adagrad's initial accumulator value.</summary>
    public float InitialAccumulator { get; init; } = 0.1f;

    /// <summary>The gradient is scaled down to this global norm when above it.</summary>
    public float ClipNorm { get; init; } = 5f;

    /// <summary>Seed of the initial weights and of the sentence order.</summary>
    public int Seed { get; init; } = 1;
}
