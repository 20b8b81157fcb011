using ElmoNative.Training.Data;

namespace ElmoNative.Training;

/// <summary>Where each sentence's LSTM state starts when a perplexity is measured (docs/training.md, "elmo perplexity").</summary>
public enum PerplexityContext
{
    /// <summary>bilm-tf's test mode: sentences in text order in B rows, the state carried along each row from sentence to sentence.</summary>
    Carried,

    /// <summary>Every sentence on its own, from a zero state (as an n-gram model conditions on its sentence only).</summary>
    PerSentence,
}

/// <summary>
/// Perplexities of a text under a biLM: exp of the mean full-softmax cross-entropy (nats per token) of each direction
/// (docs/training.md, "elmo perplexity").
/// </summary>
/// <param name="ForwardLoss">Mean cross-entropy of the forward LM.</param>
/// <param name="BackwardLoss">Mean cross-entropy of the backward LM.</param>
/// <param name="Tokens">Tokens predicted per direction (each word plus one sentence boundary per sentence).</param>
public readonly record struct Perplexities(double ForwardLoss, double BackwardLoss, long Tokens)
{
    /// <summary>Perplexity of the forward LM.</summary>
    public double Forward => Math.Exp(ForwardLoss);

    /// <summary>Perplexity of the backward LM.</summary>
    public double Backward => Math.Exp(BackwardLoss);

    /// <summary>exp of the mean of the two losses (the geometric mean of the two perplexities), as bilm-tf averages its losses.</summary>
    public double Average => Math.Exp((ForwardLoss + BackwardLoss) / 2);

    /// <summary>
    /// Runs <paramref name="trainer"/>'s full softmax over the whole of <paramref name="corpus"/> from a zero evaluation
    /// state, <see cref="TrainingOptions.BatchSize"/> rows at a time in the order of the text (bilm-tf's test mode);
    /// parameters and the training state do not change. <paramref name="progress"/> gets the windows done after each
    /// window, on the calling thread.
    /// </summary>
    public static Perplexities Evaluate(BiLmTrainer trainer, TextCorpus corpus, Vocabulary vocabulary, IProgress<long>? progress = null, CancellationToken cancellation = default) =>
        Evaluate(trainer, corpus, vocabulary, PerplexityContext.Carried, progress, cancellation);

    /// <summary>
    /// As <see cref="Evaluate(BiLmTrainer, TextCorpus, Vocabulary, IProgress{long}?, CancellationToken)"/>, with the
    /// state carried from sentence to sentence along each row or, with <see cref="PerplexityContext.PerSentence"/>,
    /// reset to zero before every sentence (<see cref="SentenceWindowReader"/>). The same tokens are predicted either way.
    /// </summary>
    public static Perplexities Evaluate(BiLmTrainer trainer, TextCorpus corpus, Vocabulary vocabulary, PerplexityContext context, IProgress<long>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var o = trainer.Options;
        var carried = context == PerplexityContext.Carried ? new EvaluationWindowReader(corpus, vocabulary, o.BatchSize, o.UnrollSteps, o.Model.MaxCharactersPerToken) : null;
        var perSentence = carried is null ? new SentenceWindowReader(corpus, vocabulary, o.BatchSize, o.UnrollSteps, o.Model.MaxCharactersPerToken) : null;
        var window = new TrainingWindow(o.BatchSize, o.UnrollSteps, o.Model.MaxCharactersPerToken);
        trainer.ResetEvaluationState();
        double forward = 0, backward = 0;
        long forwardTokens = 0, backwardTokens = 0, windows = 0;
        while (carried?.TryRead(window) ?? perSentence!.TryRead(window))
        {
            cancellation.ThrowIfCancellationRequested();
            if (perSentence is { StartsGroup: true }) trainer.ResetEvaluationState();
            var r = trainer.Evaluate(window);
            forward += r.ForwardLossSum;
            backward += r.BackwardLossSum;
            forwardTokens += r.ForwardTokens;
            backwardTokens += r.BackwardTokens;
            progress?.Report(++windows);
        }
        trainer.ResetEvaluationState();
        if (forwardTokens != corpus.Tokens || backwardTokens != corpus.Tokens)
            throw new InvalidOperationException($"evaluation counted {forwardTokens}/{backwardTokens} tokens, the text has {corpus.Tokens}");
        return new Perplexities(forward / forwardTokens, backward / backwardTokens, forwardTokens);
    }
}
