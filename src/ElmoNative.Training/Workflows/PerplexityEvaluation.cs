using System.Globalization;
using ElmoNative.Training.Data;

namespace ElmoNative.Training;

/// <summary>
/// The perplexity of a text under a model written by a <see cref="TrainingRun"/> (what <c>elmo perplexity</c> runs):
/// <see cref="Open"/> checks and loads everything (the model's training options and softmax weights, the vocabulary,
/// the text), <see cref="Run(IProgress{long}?, CancellationToken)"/> evaluates. Only the weights are read, so a directory with <c>options.json</c>,
/// <c>weights.hdf5</c> (with the softmax) and <c>train_options.json</c> will do.
/// </summary>
public sealed class PerplexityEvaluation : IDisposable
{
    private readonly BiLmTrainer trainer;

    private PerplexityEvaluation(BiLmTrainer trainer, Vocabulary vocabulary, TextCorpus corpus)
    {
        this.trainer = trainer;
        Vocabulary = vocabulary;
        Corpus = corpus;
        var o = trainer.Options;
        EstimatedWindows = new EvaluationWindowReader(corpus, vocabulary, o.BatchSize, o.UnrollSteps, o.Model.MaxCharactersPerToken).EstimatedWindows;
    }

    /// <summary>The model's training options (with the batch size asked for).</summary>
    public TrainingOptions Options => trainer.Options;

    /// <summary>The vocabulary the text is read with.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The text (its files, sentences and words).</summary>
    public TextCorpus Corpus { get; }

    /// <summary>About how many windows <see cref="Run(IProgress{long}?, CancellationToken)"/> evaluates (for a progress display).</summary>
    public long EstimatedWindows { get; }

    /// <summary>
    /// Opens <paramref name="modelDirectory"/> (a checkpoint folder of <see cref="TrainingCheckpointFolder"/>) and the
    /// text of <paramref name="inputs"/> (files or patterns, see <see cref="FileGlob"/>). The vocabulary is
    /// <paramref name="vocabularyFile"/>, by default the folder's <c>vocab.txt</c>; <paramref name="batchSize"/> (rows
    /// per window) defaults to the checkpoint's. Errors name the file: <see cref="DirectoryNotFoundException"/>,
    /// <see cref="FileNotFoundException"/>, <see cref="InvalidDataException"/>, <see cref="FormatException"/>.
    /// </summary>
    public static PerplexityEvaluation Open(string modelDirectory, IEnumerable<string> inputs, string? vocabularyFile = null, int? batchSize = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(modelDirectory);
        ArgumentNullException.ThrowIfNull(inputs);
        if (batchSize is <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be positive");
        if (!Directory.Exists(modelDirectory)) throw new DirectoryNotFoundException($"{modelDirectory}: model directory not found");
        string optionsPath = Path.Combine(modelDirectory, TrainingOptionsFile.FileName);
        if (!File.Exists(optionsPath))
            throw new FileNotFoundException($"{optionsPath}: not found ({modelDirectory} is not a checkpoint written by 'elmo train')", optionsPath);
        var options = TrainingOptionsFile.Load(optionsPath);
        if (batchSize is { } b) options = options with { BatchSize = b };
        string vocabPath = vocabularyFile ?? Path.Combine(modelDirectory, TrainingCheckpointFolder.VocabularyFileName);
        var vocabulary = Vocabulary.Load(vocabPath);
        if (vocabulary.Count != options.VocabularySize)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{vocabPath}: vocabulary has {vocabulary.Count} tokens but the model's n_tokens_vocab is {options.VocabularySize}"));
        var corpus = TextCorpus.Open(inputs, cancellation);
        var trainer = BiLmTrainer.LoadForEvaluation(modelDirectory, options);
        return new PerplexityEvaluation(trainer, vocabulary, corpus);
    }

    /// <summary>
    /// Evaluates the whole text (see <see cref="Perplexities.Evaluate(BiLmTrainer, TextCorpus, Vocabulary, IProgress{long}?, CancellationToken)"/>); <paramref name="progress"/> gets the windows
    /// done, on the calling thread.
    /// </summary>
    public Perplexities Run(IProgress<long>? progress = null, CancellationToken cancellation = default) =>
        Perplexities.Evaluate(trainer, Corpus, Vocabulary, progress, cancellation);

    /// <summary>Evaluates the whole text with the LSTM state carried across sentences or reset per sentence (<see cref="PerplexityContext"/>).</summary>
    public Perplexities Run(PerplexityContext context, IProgress<long>? progress = null, CancellationToken cancellation = default) =>
        Perplexities.Evaluate(trainer, Corpus, Vocabulary, context, progress, cancellation);

    /// <summary>The windows <see cref="Run(PerplexityContext, IProgress{long}?, CancellationToken)"/> evaluates in <paramref name="context"/> (about, when carried).</summary>
    public long WindowsFor(PerplexityContext context)
    {
        var o = trainer.Options;
        return context == PerplexityContext.Carried ? EstimatedWindows : new Data.SentenceWindowReader(Corpus, Vocabulary, o.BatchSize, o.UnrollSteps, o.Model.MaxCharactersPerToken).Windows;
    }

    /// <summary>Opens, evaluates and closes in one call (see <see cref="Open"/>).</summary>
    public static Perplexities Evaluate(string modelDirectory, IEnumerable<string> inputs, string? vocabularyFile = null, int? batchSize = null,
                                        IProgress<long>? progress = null, CancellationToken cancellation = default)
    {
        using var evaluation = Open(modelDirectory, inputs, vocabularyFile, batchSize, cancellation);
        return evaluation.Run(progress, cancellation);
    }

    /// <inheritdoc/>
    public void Dispose() => trainer.Dispose();
}
