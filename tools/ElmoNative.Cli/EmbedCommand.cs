using System.Globalization;
using System.Text;
using ElmoNative.Checkpoints;
using ElmoNative.Text;
using PureHDF;

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
        "sentence_to_index" (a JSON object: sentence text -> index as a string).

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

        // Pass 1: check every line and learn each sentence's length, so that the datasets can be declared up front
        // and then written one by one (the embeddings are never all in memory).
        var lengths = new List<int>();
        var sentenceToIndex = new Dictionary<string, string>(StringComparer.Ordinal);
        using (var lines = input.ReadLines())
        {
            while (ReadSentence(lines, input.Name) is { } tokens)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                sentenceToIndex[string.Join(' ', tokens)] = lengths.Count.ToString(CultureInfo.InvariantCulture);
                lengths.Add(tokens.Length);
            }
        }
        if (lengths.Count == 0) throw CliException.DataError($"{input.Name}: input is empty (no sentences)");

        int layerCount = model.LayerCount, dim = model.Dim;
        var file = new H5File();
        var datasets = new H5Dataset<float[]>[lengths.Count];
        for (int i = 0; i < lengths.Count; i++)
        {
            ulong n = (ulong)lengths[i];
            datasets[i] = new H5Dataset<float[]>(fileDims: layers == LayerSelection.All ? [(ulong)layerCount, n, (ulong)dim] : [n, (ulong)dim]);
            file[i.ToString(CultureInfo.InvariantCulture)] = datasets[i];
        }
        file["sentence_to_index"] = new H5Dataset(new[] { PythonJson(sentenceToIndex) });
        var average = layers == LayerSelection.Average ? ScalarMix.Average(layerCount) : null;

        // Pass 2: embed batch by batch and write each sentence's dataset as soon as it is computed.
        using var progress = new ProgressBar(context.Error, context.Progress(args), "embed", lengths.Count, "sentences", "tokens");
        AtomicFile.Write(outputPath, temp =>
        {
            using var writer = file.BeginWrite(temp);
            var state = stateful ? model.CreateState() : null;
            var batch = new List<IReadOnlyList<string>>(Math.Min(batchSize, 4096));
            var output = new ElmoBatchOutput(); // reused from batch to batch
            int first = 0;
            long tokensDone = 0;
            using var lines = input.ReadLines();
            while (true)
            {
                var tokens = ReadSentence(lines, input.Name);
                if (tokens is not null)
                {
                    if (lines.LineNumber > lengths.Count || tokens.Length != lengths[lines.LineNumber - 1])
                        throw CliException.DataError($"{input.Name}:{lines.LineNumber}: input changed while it was being read");
                    batch.Add(tokens);
                }
                if (batch.Count == batchSize || (tokens is null && batch.Count > 0))
                {
                    context.Cancellation.ThrowIfCancellationRequested();
                    model.Embed(batch, output, state);
                    float[]? mixed = average?.Mix(output); // [B, T, D]
                    for (int b = 0; b < batch.Count; b++)
                    {
                        float[] data = layers switch
                        {
                            LayerSelection.All => output.ToArray(b),
                            LayerSelection.Top => output.Layer(b, layerCount - 1).ToArray(),
                            _ => mixed.AsSpan(b * output.MaxLength * dim, output.Lengths[b] * dim).ToArray(),
                        };
                        writer.Write(datasets[first + b], data);
                        tokensDone += output.Lengths[b];
                    }
                    first += batch.Count;
                    batch.Clear();
                    progress.Update(first, tokensDone);
                }
                if (tokens is null) break;
            }
            if (first != lengths.Count) throw CliException.DataError($"{input.Name}: input changed while it was being read");
        });
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

    /// <summary>
    /// The JSON text Python's <c>json.dumps</c> gives for a dict of strings (as AllenNLP writes <c>sentence_to_index</c>):
    /// ", " and ": " separators, and ASCII only (other characters as \uXXXX UTF-16 escapes), which h5dump shows legibly.
    /// </summary>
    internal static string PythonJson(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var json = new StringBuilder("{");
        foreach (var (key, value) in pairs)
        {
            if (json.Length > 1) json.Append(", ");
            AppendString(json, key);
            json.Append(": ");
            AppendString(json, value);
        }
        return json.Append('}').ToString();
    }

    private static void AppendString(StringBuilder json, string text)
    {
        json.Append('"');
        foreach (char ch in text)
        {
            switch (ch)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                default:
                    if (ch < ' ' || ch > '~') json.Append(CultureInfo.InvariantCulture, $"\\u{(int)ch:x4}");
                    else json.Append(ch);
                    break;
            }
        }
        json.Append('"');
    }
}
