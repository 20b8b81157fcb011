using ElmoNative.Training.Data;

namespace ElmoNative.Training;

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
    public static Perplexities Evaluate(BiLmTrainer trainer, TextCorpus corpus, Vocabulary vocabulary, IProgress<long>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(vocabulary);
        var o = trainer.Options;
        var reader = new EvaluationWindowReader(corpus, vocabulary, o.BatchSize, o.UnrollSteps, o.Model.MaxCharactersPerToken);
        var window = new TrainingWindow(o.BatchSize, o.UnrollSteps, o.Model.MaxCharactersPerToken);
        trainer.ResetEvaluationState();
        double forward = 0, backward = 0;
        long forwardTokens = 0, backwardTokens = 0, windows = 0;
        while (reader.TryRead(window))
        {
            cancellation.ThrowIfCancellationRequested();
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
