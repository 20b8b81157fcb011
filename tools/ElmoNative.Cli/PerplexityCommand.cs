using System.Globalization;
using ElmoNative.Checkpoints;
using ElmoNative.Training;
using ElmoNative.Training.Data;

namespace ElmoNative.Cli;

/// <summary>Perplexities of a text under a biLM: exp of the mean full-softmax cross-entropy (nats per token).</summary>
/// <param name="ForwardLoss">Mean cross-entropy of the forward LM.</param>
/// <param name="BackwardLoss">Mean cross-entropy of the backward LM.</param>
/// <param name="Tokens">Tokens predicted per direction (each word plus one sentence boundary per sentence).</param>
internal readonly record struct Perplexities(double ForwardLoss, double BackwardLoss, long Tokens)
{
    public double Forward => Math.Exp(ForwardLoss);

    public double Backward => Math.Exp(BackwardLoss);

    /// <summary>exp of the mean of the two losses (the geometric mean of the two perplexities), as bilm-tf averages its losses.</summary>
    public double Average => Math.Exp((ForwardLoss + BackwardLoss) / 2);

    public string Format() => string.Format(CultureInfo.InvariantCulture, "{0:F2} (forward {1:F2}, backward {2:F2})", Average, Forward, Backward);

    /// <summary>Runs <paramref name="trainer"/>'s full softmax over the whole of <paramref name="corpus"/> from a zero state.</summary>
    public static Perplexities Evaluate(BiLmTrainer trainer, TextCorpus corpus, Vocabulary vocabulary, CancellationToken cancellation, Action<long>? progress = null)
    {
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
            progress?.Invoke(++windows);
        }
        trainer.ResetEvaluationState();
        if (forwardTokens != corpus.Tokens || backwardTokens != corpus.Tokens)
            throw new InvalidOperationException($"evaluation counted {forwardTokens}/{backwardTokens} tokens, the text has {corpus.Tokens}");
        return new Perplexities(forward / forwardTokens, backward / backwardTokens, forwardTokens);
    }
}

/// <summary><c>elmo perplexity</c>: forward, backward and average perplexity of a text under a trained biLM.</summary>
internal static class PerplexityCommand
{
    /// <summary>The command and its options.</summary>
    public static ElmoCommand Create()
    {
        var command = new ElmoCommand("perplexity", "forward, backward and average perplexity of a text under a trained biLM", Run)
        {
            Synopsis = ["elmo perplexity --model DIR --input FILE|GLOB... [--vocab vocab.txt] [--batch-size N] [--threads N]"],
            Details = """
                Reads one-sentence-per-line text and prints the perplexity of the forward LM, of the backward LM and their
                average (exp of the mean of the two cross-entropies), with the full softmax, one figure per line. Every word
                and one sentence boundary per sentence (</S> forward, <S> backward) are predicted; words not in the
                vocabulary are predicted as <UNK>. Sentences are read in order, B rows at a time, with the LSTM state carried
                along each row as in training (bilm-tf's test mode).
                """,
        };
        command.Value("--model", "DIR", "a model written by 'elmo train' (weights.hdf5 with the softmax, train_options.json)");
        command.List("--input", "FILE|GLOB...", "the text: one or more files or quoted patterns");
        command.Value("--vocab", "FILE", "the vocabulary of the model (default: DIR/vocab.txt, which 'elmo train' writes)");
        command.Value("--batch-size", "N", "rows per window (default: the checkpoint's batch_size); only the weights are read, so a directory with options.json, weights.hdf5, train_options.json will do");
        CommonOptions.Threads(command);
        CommonOptions.Progress(command);
        CommonOptions.AddQuiet(command);
        return command;
    }

    private static int Run(CommandContext context, OptionValues args)
    {
        var inputs = args.List("--input");
        string model = args.Required("--model");
        if (inputs.Count == 0) throw args.Error("missing option '--input'");
        int? batchSize = args.OptionalPositiveInt("--batch-size");
        using var threads = CommandContext.Threads(args);

        if (!Directory.Exists(model)) throw CliException.DataError($"{model}: model directory not found");
        string optionsPath = Path.Combine(model, TrainingOptionsFile.FileName);
        if (!File.Exists(optionsPath))
            throw CliException.DataError($"{optionsPath}: not found ({model} is not a checkpoint written by 'elmo train')");
        var options = TrainingOptionsFile.Load(optionsPath);
        if (batchSize is { } b) options = options with { BatchSize = b };
        string vocabPath = args.Value("--vocab") ?? Path.Combine(model, TrainCommand.VocabularyFileName);
        var vocabulary = Vocabulary.Load(vocabPath);
        if (vocabulary.Count != options.VocabularySize)
            throw CliException.DataError(string.Create(CultureInfo.InvariantCulture,
                $"{vocabPath}: vocabulary has {vocabulary.Count} tokens but the model's n_tokens_vocab is {options.VocabularySize}"));
        var corpus = TextCorpus.Open(inputs, context.Cancellation);

        using var trainer = BiLmTrainer.LoadForEvaluation(model, options);
        var reader = new EvaluationWindowReader(corpus, vocabulary, options.BatchSize, options.UnrollSteps, options.Model.MaxCharactersPerToken);
        using var progress = new ProgressBar(context.Error, context.Progress(args), "perplexity", reader.EstimatedWindows, "windows");
        var result = Perplexities.Evaluate(trainer, corpus, vocabulary, context.Cancellation, w => progress.Update(w));
        progress.Finish();
        var c = CultureInfo.InvariantCulture;
        context.Out.WriteLine(string.Format(c, "forward perplexity: {0:F3}", result.Forward));
        context.Out.WriteLine(string.Format(c, "backward perplexity: {0:F3}", result.Backward));
        context.Out.WriteLine(string.Format(c, "average perplexity: {0:F3}", result.Average));
        context.Out.WriteLine(string.Format(c, "tokens: {0} ({1} sentences, {2} words) in {3} file(s), vocabulary {4}", result.Tokens, corpus.Sentences, corpus.Words, corpus.Files.Count, vocabulary.Count));
        context.Summary = new RunSummary(string.Format(c, "{0} tokens per direction, average perplexity {1:F3}", result.Tokens, result.Average), null, 2.0 * result.Tokens, "tokens");
        return 0;
    }
}
