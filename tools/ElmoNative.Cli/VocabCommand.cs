using System.Globalization;
using ElmoNative.Training.Data;

namespace ElmoNative.Cli;

/// <summary><c>elmo vocab</c>: the vocabulary file of a training corpus, as bilm-tf's <c>vocab.txt</c>.</summary>
internal static class VocabCommand
{
    /// <summary>The command and its options.</summary>
    public static ElmoCommand Create()
    {
        var command = new ElmoCommand("vocab", "build a training vocabulary (<S>, </S>, <UNK>, then words by count) from text files", Run)
        {
            Synopsis = ["elmo vocab --input FILE|GLOB... --output vocab.txt [--min-count N] [--force]"],
            Details = """
                Counts the whitespace-separated tokens of one-sentence-per-line UTF-8 text files and writes the vocabulary of a
                biLM: <S>, </S>, <UNK> on the first three lines, then the words by descending count, ties in ordinal
                (code unit) order. Words seen fewer than --min-count times are left out; the reader maps them to <UNK>.
                """,
            Notes = """
                Prints the vocabulary size and the share of running tokens it covers. A missing file, a pattern matching
                nothing, invalid UTF-8 (file and line) or input without any token are errors; nothing is written then.
                """,
        };
        command.List("--input", "FILE|GLOB...", "one or more files or quoted patterns ('data/*.txt'); * and ? match within a name");
        command.Value("--output", "FILE", "vocabulary to write (through a temporary file renamed at the end; a device or FIFO is written into; - writes to stdout, and the report line goes to stderr)");
        command.Value("--min-count", "N", "keep words seen at least N times (default 1: keep all)");
        CommonOptions.AddForce(command, "--output");
        CommonOptions.AddQuiet(command);
        return command;
    }

    private static int Run(CommandContext context, OptionValues args)
    {
        var inputs = args.List("--input");
        if (inputs.Count == 0) throw args.Error("missing option '--input'");
        string output = args.Required("--output");
        int minCount = args.PositiveInt("--min-count", 1);
        bool force = args.Has("--force");

        var files = FileGlob.ExpandAll(inputs, "input file");
        OutputPath.Check(output, force, [.. files]);

        var vocabulary = Vocabulary.Build(files, minCount, context.Cancellation);
        var counts = vocabulary.Counts!;
        long sentences = counts[vocabulary.BeginOfSentenceId];
        if (sentences == 0) throw CliException.DataError($"{string.Join(", ", files)}: no tokens in the input");
        long running = 0;
        for (int i = 0; i < vocabulary.Count; i++)
            if (i != vocabulary.BeginOfSentenceId && i != vocabulary.EndOfSentenceId) running += counts[i];
        long unknown = counts[vocabulary.UnknownId];
        context.Cancellation.ThrowIfCancellationRequested();
        bool toStdout = output == OutputPath.StandardOutput;
        if (toStdout) OutputPath.Write(context, output, vocabulary.Save);
        else vocabulary.Save(output);
        (toStdout ? context.Error : context.Out).WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {output}: {vocabulary.Count} tokens (3 special + {vocabulary.Count - 3} words with count >= {minCount}) from {files.Count} file(s), {sentences} sentences, {running} tokens; {unknown} tokens ({100.0 * unknown / Math.Max(1, running):F2}%) map to <UNK>"));
        context.Summary = new RunSummary(string.Create(CultureInfo.InvariantCulture, $"{vocabulary.Count} tokens from {files.Count} file(s), {running} running tokens"), output, running, "tokens");
        return 0;
    }
}
