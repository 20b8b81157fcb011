using System.Globalization;
using ElmoNative.Training;

namespace ElmoNative.Cli;

/// <summary><c>elmo perplexity</c>: forward, backward and average perplexity of a text under a trained biLM.</summary>
internal static class PerplexityCommand
{
    /// <summary>The command and its options.</summary>
    public static ElmoCommand Create()
    {
        var command = new ElmoCommand("perplexity", "forward, backward and average perplexity of a text under a trained biLM", Run)
        {
            Synopsis = ["elmo perplexity --model DIR --input FILE|GLOB... [--vocab vocab.txt] [--batch-size N] [--per-sentence] [--threads N]"],
            Details = """
                Reads one-sentence-per-line text and prints the perplexity of the forward LM, of the backward LM and their
                average (exp of the mean of the two cross-entropies), with the full softmax, one figure per line. Every word
                and one sentence boundary per sentence (</S> forward, <S> backward) are predicted; words not in the
                vocabulary are predicted as <UNK>. Sentences are read in order, B rows at a time, with the LSTM state carried
                along each row as in training (bilm-tf's test mode); with --per-sentence every sentence starts from a zero
                state instead (the protocol of an n-gram model, which sees only its own sentence), which is higher.
                """,
        };
        command.Value("--model", "DIR", "a model written by 'elmo train' (weights.hdf5 with the softmax, train_options.json)");
        command.List("--input", "FILE|GLOB...", "the text: one or more files or quoted patterns");
        command.Value("--vocab", "FILE", "the vocabulary of the model (default: DIR/vocab.txt, which 'elmo train' writes)");
        command.Value("--batch-size", "N", "rows per window (default: the checkpoint's batch_size); only the weights are read, so a directory with options.json, weights.hdf5, train_options.json will do");
        command.Switch("--per-sentence", "reset the LSTM state to zero before every sentence instead of carrying it across sentences");
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

        using var evaluation = Open(model, inputs, args, batchSize, context);
        var corpus = evaluation.Corpus;
        var mode = args.Has("--per-sentence") ? PerplexityContext.PerSentence : PerplexityContext.Carried;
        using var progress = new ProgressBar(context.Error, context.Progress(args), "perplexity", evaluation.WindowsFor(mode), "windows");
        var result = evaluation.Run(mode, new WindowsToBar(progress), context.Cancellation);
        progress.Finish();
        var c = CultureInfo.InvariantCulture;
        context.Out.WriteLine(string.Format(c, "forward perplexity: {0:F3}", result.Forward));
        context.Out.WriteLine(string.Format(c, "backward perplexity: {0:F3}", result.Backward));
        context.Out.WriteLine(string.Format(c, "average perplexity: {0:F3}", result.Average));
        context.Out.WriteLine(string.Format(c, "tokens: {0} ({1} sentences, {2} words) in {3} file(s), vocabulary {4}", result.Tokens, corpus.Sentences, corpus.Words, corpus.Files.Count, evaluation.Vocabulary.Count));
        context.Out.WriteLine(mode == PerplexityContext.Carried ? "state: carried across sentences (each of B rows reads the text in order)" : "state: reset to zero before every sentence");
        context.Summary = new RunSummary(string.Format(c, "{0} tokens per direction, average perplexity {1:F3}", result.Tokens, result.Average), null, 2.0 * result.Tokens, "tokens");
        return 0;
    }

    /// <summary>The evaluation; a --batch-size the training options refuse (too large a window) is a usage error naming it.</summary>
    private static PerplexityEvaluation Open(string model, IReadOnlyList<string> inputs, OptionValues args, int? batchSize, CommandContext context)
    {
        try
        {
            return PerplexityEvaluation.Open(model, inputs, args.Value("--vocab"), batchSize, context.Cancellation);
        }
        catch (ArgumentException e) when (batchSize is not null && e.Message.Contains("batch_size", StringComparison.Ordinal))
        {
            throw args.Error($"--batch-size {batchSize}: {e.Message}; lower --batch-size");
        }
    }

    /// <summary>Windows done, to the progress bar.</summary>
    private sealed class WindowsToBar(ProgressBar bar) : IProgress<long>
    {
        public void Report(long value) => bar.Update(value);
    }
}
