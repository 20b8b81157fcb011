using System.Globalization;
using ElmoNative.Checkpoints;
using ElmoNative.Output;
using ElmoNative.Text;

namespace ElmoNative.Cli;

/// <summary>
/// <c>elmo embed</c>: one sentence per line in, an HDF5 file out with one float32 dataset per line (named by its 0-based
/// line number) and <c>sentence_to_index</c>, as AllenNLP's <c>elmo</c> command writes it.
/// </summary>
internal static class EmbedCommand
{
    public static readonly string Usage = $"""
        usage: elmo embed [model] --input FILE --output FILE.hdf5 [options]

        Embeds sentences (one per line, tokens separated by whitespace) with the biLM and writes, like AllenNLP's
        `elmo` command, one float32 dataset per input line named by its 0-based number ("0", "1", ...) and a dataset
        "sentence_to_index" (a JSON object: sentence text -> index as a string). The file is written in one pass
        (memory does not grow with the input); a repeated sentence appears once per line in the JSON text, and
        Python's json.loads keeps its last index, like AllenNLP's dict.

        model:
        {ModelSource.Usage}
        options:
          --input FILE             input text, UTF-8, one sentence per line; - reads stdin
          --output FILE            HDF5 file to write (written to a temporary file and renamed at the end)
          --layers all|top|average all: (L+1, n, 2P) per sentence; top: last layer (n, 2P); average: mean of the
                                   layers (n, 2P). Default: all
          --batch-size N           sentences per batch (default 64)
          --stateful               carry the LSTM state from batch to batch: batch k is lines k*N .. k*N+N-1
                                   (default: every sentence starts from zero state)
          --threads N              most threads per kernel call (default: all cores)
          --vocab FILE             vocabulary (one token per line, as for token-embeddings): its token representations
                                   are computed once up front and kept (bilm-tf / AllenNLP vocab cache); other tokens
                                   still go through the character CNN
          --cache-size N           tokens kept in the LRU cache of token representations (default {ElmoModel.DefaultTokenCacheCapacity};
                                   0 turns it off); the hit rate is shown with the progress
          --progress               show progress on stderr even when it is not a terminal (a line every 10 s)
          --no-progress            never show progress
          -h, --help               this help

        Empty or whitespace-only lines and invalid UTF-8 are errors (with the line number); nothing is written then.
        """;

    private static readonly string[] ValueOptions = [.. ModelSource.OptionNames, "--input", "--output", "--layers", "--batch-size", "--threads", "--vocab", "--cache-size"];
    private static readonly string[] Switches = ["--stateful", .. CommandContext.ProgressSwitches];

    /// <summary>Which layers go to the output.</summary>
    private enum LayerSelection
    {
        All,
        Top,
        Average,
    }

    public static int Run(CommandContext context, IReadOnlyList<string> argv)
    {
        var args = Arguments.Parse("embed", argv, ValueOptions, Switches);
        if (args.Help)
        {
            context.Out.WriteLine(Usage);
            return 0;
        }
        string inputPath = args.Required("--input");
        string outputPath = args.Required("--output");
        var layers = (args.Value("--layers") ?? "all") switch
        {
            "all" => LayerSelection.All,
            "top" => LayerSelection.Top,
            "average" => LayerSelection.Average,
            var other => throw args.Error($"--layers must be all, top or average, not '{other}'"),
        };
        int batchSize = args.PositiveInt("--batch-size", 64);
        bool stateful = args.Has("--stateful");
        using var threads = CommandContext.Threads(args);
        var source = ModelSource.Resolve(args);
        OutputPath.Check(outputPath, inputPath, source.OptionsPath, source.WeightsPath);

        string? vocabPath = args.Value("--vocab");
        int? cacheSize = args.OptionalNonNegativeInt("--cache-size");
        if (vocabPath is not null) OutputPath.Check(outputPath, vocabPath);
        var vocabulary = vocabPath is null ? null : TokenEmbeddingsCommand.ReadVocabulary(vocabPath, context);

        using var model = source.LoadModel();
        if (cacheSize is { } capacity) model.TokenCacheCapacity = capacity;
        if (vocabulary is not null) model.PreloadVocabulary(vocabulary);
        var input = TextInput.Open(inputPath, context.In, "input file");
        var mode = context.Progress(args);
        long total = mode != ProgressMode.Off && input.IsFile ? CountLines(inputPath) : -1; // for the progress bar only

        // One pass: read and check a line, batch, embed, and write each sentence's dataset from the batch output. The
        // writer spills what the end of the file needs (sentence_to_index, the datasets' addresses) to temporary files,
        // so memory does not grow with the number of lines.
        int layerCount = model.LayerCount, dim = model.Dim;
        var average = layers == LayerSelection.Average ? ScalarMix.Average(layerCount) : null;
        using var lines = input.ReadLines();
        var tokens = ReadSentence(lines, input.Name);
        if (tokens is null) throw CliException.DataError($"{input.Name}: input is empty (no sentences)");
        using var progress = new ProgressBar(context.Error, mode, "embed", total, "sentences", "tokens");
        long written = 0;
        AtomicFile.Write(outputPath, temp =>
        {
            using var writer = new EmbeddingFileWriter(temp);
            var state = stateful ? model.CreateState() : null;
            var batch = new List<IReadOnlyList<string>>(Math.Min(batchSize, 4096));
            var output = new ElmoBatchOutput(); // reused from batch to batch
            float[] mixed = []; // [B, T, D] for --layers average, grown as needed
            long tokensDone = 0;
            while (true)
            {
                if (tokens is not null) batch.Add(tokens);
                if (batch.Count == batchSize || (tokens is null && batch.Count > 0))
                {
                    context.Cancellation.ThrowIfCancellationRequested();
                    model.Embed(batch, output, state);
                    if (average is not null)
                    {
                        int size = output.Count * output.MaxLength * dim;
                        if (mixed.Length < size) mixed = new float[size];
                        average.Mix(output, mixed.AsSpan(0, size));
                    }
                    for (int b = 0; b < batch.Count; b++)
                    {
                        int n = output.Lengths[b];
                        string sentence = string.Join(' ', batch[b]);
                        switch (layers)
                        {
                            case LayerSelection.All:
                                writer.BeginDataset(sentence, [layerCount, n, dim]);
                                for (int l = 0; l < layerCount; l++) writer.WriteValues(output.Layer(b, l));
                                break;
                            case LayerSelection.Top:
                                writer.AddDataset(sentence, [n, dim], output.Layer(b, layerCount - 1));
                                break;
                            default:
                                writer.AddDataset(sentence, [n, dim], mixed.AsSpan(b * output.MaxLength * dim, n * dim));
                                break;
                        }
                        tokensDone += n;
                    }
                    written += batch.Count;
                    batch.Clear();
                    progress.Update(written, tokensDone);
                }
                if (tokens is null) break;
                tokens = ReadSentence(lines, input.Name);
            }
            writer.Finish();
        });
        progress.Total = written;
        progress.Finish();
        if (progress.Mode != ProgressMode.Off)
        {
            var cache = model.TokenCacheStatistics;
            context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"embed: token cache {cache.HitRate:P1} hits ({cache.Hits} of {cache.Hits + cache.Misses} lookups; {cache.Preloaded} preloaded, {cache.Count} of {cache.Capacity} LRU entries)"));
        }
        return 0;
    }

    /// <summary>The tokens of the next line, or null at the end; empty and whitespace-only lines are errors.</summary>
    private static string[]? ReadSentence(Utf8LineReader lines, string name)
    {
        if (!lines.TryRead(out string? line)) return null;
        if (line.Length == 0) throw CliException.DataError($"{name}:{lines.LineNumber}: empty line");
        var tokens = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0) throw CliException.DataError($"{name}:{lines.LineNumber}: line has only whitespace");
        return tokens;
    }

    /// <summary>Lines of a file as <see cref="Utf8LineReader"/> counts them (a last line without a newline counts), by bytes.</summary>
    private static long CountLines(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        var buffer = new byte[1 << 16];
        long count = 0;
        byte last = (byte)'\n';
        for (int read; (read = stream.Read(buffer, 0, buffer.Length)) > 0;)
        {
            count += buffer.AsSpan(0, read).Count((byte)'\n');
            last = buffer[read - 1];
        }
        return last == (byte)'\n' ? count : count + 1;
    }
}
