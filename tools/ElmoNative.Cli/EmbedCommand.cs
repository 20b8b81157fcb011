using System.CommandLine;
using System.Globalization;
using ElmoNative.Checkpoints;
using ElmoNative.Output;
using ElmoNative.Text;

namespace ElmoNative.Cli;

/// <summary>
/// <c>elmo embed</c>: one sentence per line in, an HDF5 file out with one float32 dataset per line (named by its 0-based
/// line number) and <c>sentence_to_index</c>, as AllenNLP's <c>elmo</c> command writes it; it also takes that command's
/// spelling (<c>elmo embed INPUT OUTPUT --top --options-file F --weight-file F</c>).
/// </summary>
internal static class EmbedCommand
{
    /// <summary>Which layers go to the output.</summary>
    private enum LayerSelection
    {
        All,
        Top,
        Average,
    }

    /// <summary>The command and its options.</summary>
    public static ElmoCommand Create()
    {
        var command = new ElmoCommand("embed", "embed sentences (one per line) into an HDF5 file, like AllenNLP's `elmo` command", Run)
        {
            Synopsis =
            [
                "elmo embed [--model DIR|NAME | --options F --weights F] --input FILE|- --output FILE.hdf5",
                "           [--layers all|top|average] [--pool mean|max] [--batch-size 64] [--stateful] [--threads N]",
                "           [--vocab FILE] [--cache-size 10000] [--forget-sentences|--use-sentence-keys] [--force]",
                "elmo embed INPUT OUTPUT --all|--top|--average [--options-file F --weight-file F] [--batch-size 64]",
                "           [--forget-sentences] [--use-sentence-keys] [--cuda-device -1] [--stateless]",
            ],
            Details = """
                Embeds sentences (one per line, tokens separated by whitespace) with the biLM and writes, like AllenNLP's
                `elmo` command, one float32 dataset per input line named by its 0-based number ("0", "1", ...) and a dataset
                "sentence_to_index" (a JSON object, as Python's json.dumps writes it: each line stripped of surrounding
                whitespace -> its index as a string). The file is written in one pass (memory does not grow with the
                input); a repeated sentence appears once per line in the JSON text, and Python's json.loads keeps its last
                index, like AllenNLP's dict.

                Two spellings. Named: --input FILE --output FILE, every sentence embedded from a zero LSTM state
                (stateless) unless --stateful. AllenNLP's: positional INPUT OUTPUT and one of --all, --top, --average, as
                users of `allennlp elmo` type it; it is STATEFUL by default (--stateless turns that off), because AllenNLP
                keeps the LSTM state of each batch row from batch to batch, so that it writes the same file as AllenNLP.
                Lines are stripped and split on whitespace as Python's str.strip() and str.split() do.
                """,
            Notes = """
                Without a model option the default model is used (see --model), not AllenNLP's original ELMo, which
                is one option away: elmo embed IN OUT --top --model original-5.5b (downloaded into the cache on first
                use; 'elmo models list' shows every published model), or --options-file F --weight-file F with its files.
                Empty or whitespace-only lines and invalid UTF-8 are errors (with the line number and 0-based index);
                nothing is written then.
                """,
        };
        command.Add(new Argument<string>("INPUT") { Arity = ArgumentArity.ZeroOrOne, Description = "input text (AllenNLP's spelling; stateful unless --stateless); - reads stdin" });
        command.Add(new Argument<string>("OUTPUT") { Arity = ArgumentArity.ZeroOrOne, Description = "HDF5 file to write (AllenNLP's spelling)" });
        ModelSource.AddOptions(command, allenNlpAliases: true);
        command.Value("--input", "FILE", "input text, UTF-8, one sentence per line; - reads stdin");
        command.Value("--output", "FILE", "HDF5 file to write (written to a temporary file and renamed at the end)");
        CommonOptions.AddForce(command, "the output");
        command.Value("--layers", "all|top|average", "all: (L+1, n, 2P) per sentence; top: last layer (n, 2P); average: mean of the layers (n, 2P). Default: all");
        command.Switch("--all", "--layers all (AllenNLP's spelling)");
        command.Switch("--top", "--layers top (AllenNLP's spelling)");
        command.Switch("--average", "--layers average (AllenNLP's spelling)");
        command.Value("--pool", "mean|max", "one vector per sentence: the mean or maximum over its tokens of the chosen layers: (L+1, 2P) with all, (2P) with top or average");
        command.Value("--batch-size", "N", "sentences per batch (default 64)");
        command.Switch("--stateful", "carry the LSTM state from batch to batch: batch k is lines k*N .. k*N+N-1 (the default of AllenNLP's spelling)");
        command.Switch("--stateless", "every sentence starts from zero state (the default of the named spelling)");
        command.Switch("--forget-sentences", "leave sentence_to_index out");
        command.Switch("--use-sentence-keys", "name each dataset by its sentence (the stripped line) instead of its index, without sentence_to_index; a repeated sentence, or one holding '/' or being '.', is an error (HDF5 names); keeps the sentences in memory");
        CommonOptions.Threads(command);
        command.Value("--vocab", "FILE", "vocabulary (one token per line, as for token-embeddings): its token representations are computed once up front and kept (bilm-tf / AllenNLP vocab cache); other tokens still go through the character CNN");
        command.Value("--cache-size", "N", $"tokens kept in the LRU cache of token representations (default {ElmoModel.DefaultTokenCacheCapacity}; 0 turns it off); the hit rate is shown with the progress");
        CommonOptions.Progress(command);
        CommonOptions.AddQuiet(command);
        command.Section("AllenNLP's options without a use here");
        command.Value("--cuda-device", "N", "-1 (the default) only: ElmoNative runs on the CPU; any other device is an error");
        command.Switch("--file-friendly-logging", "the same as --progress (progress as plain lines)");
        command.Value("--vocab-path", "FILE", "accepted and ignored, as AllenNLP's command ignores it");
        command.List("--include-package", "NAME", "accepted and ignored (a Python package to import)");
        return command;
    }

    private static int Run(CommandContext context, OptionValues args)
    {
        var settings = EmbedSettings.From(args);
        var source = ModelSource.Resolve(context, args);
        OutputPath.Check(settings.Output, args.Has(CommonOptions.Force), settings.Input, source.OptionsPath, source.WeightsPath, args.Value("--vocab"));

        string? vocabPath = args.Value("--vocab");
        int? cacheSize = args.OptionalNonNegativeInt("--cache-size");
        var vocabulary = vocabPath is null ? null : TokenEmbeddingsCommand.ReadVocabulary(vocabPath, context);

        using var model = source.LoadModel(args.OptionalPositiveInt("--threads"));
        if (cacheSize is { } capacity) model.TokenCacheCapacity = capacity;
        if (vocabulary is not null) model.PreloadVocabulary(vocabulary);
        var input = TextInput.Open(settings.Input, context.In, "input file");
        var mode = args.Has("--file-friendly-logging") && !args.Has("--no-progress") && !context.ErrorIsTerminal ? ProgressMode.Log : context.Progress(args);
        long total = mode != ProgressMode.Off && input.IsFile ? CountLines(settings.Input) : -1; // for the progress bar only

        // One pass: read and check a line, batch, embed, and write each sentence's dataset from the batch output. The
        // writer spills what the end of the file needs (sentence_to_index, the datasets' addresses) to temporary files,
        // so memory does not grow with the number of lines (except the keys of --use-sentence-keys).
        int layerCount = model.LayerCount, dim = model.Dim;
        var average = settings.Layers == LayerSelection.Average ? ScalarMix.Average(layerCount) : null;
        using var lines = input.ReadLines();
        var reader = new SentenceReader(lines, input.Name, settings.Layout == EmbeddingFileLayout.SentenceKeys);
        var sentence = reader.Next();
        if (sentence is null) throw CliException.DataError($"{input.Name}: input is empty (no sentences)");
        using var progress = new ProgressBar(context.Error, mode, "embed", total, "sentences", "tokens");
        long written = 0, tokensDone = 0;
        AtomicFile.Write(settings.Output, temp =>
        {
            using var writer = new EmbeddingFileWriter(temp, settings.Layout);
            var state = settings.Stateful ? model.CreateState() : null;
            var batch = new List<IReadOnlyList<string>>(Math.Min(settings.BatchSize, 4096));
            var texts = new List<string>(batch.Capacity);
            var output = new ElmoBatchOutput(); // reused from batch to batch
            float[] mixed = []; // [B, T, D] for --layers average, grown as needed
            float[] pooled = settings.Pool is null ? [] : new float[layerCount * dim];
            while (true)
            {
                if (sentence is not null)
                {
                    batch.Add(sentence.Value.Tokens);
                    texts.Add(sentence.Value.Text);
                }
                if (batch.Count == settings.BatchSize || (sentence is null && batch.Count > 0))
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
                        var averaged = average is null ? default : mixed.AsSpan(b * output.MaxLength * dim, n * dim);
                        Write(writer, texts[b], output, b, settings, averaged, pooled);
                        tokensDone += n;
                    }
                    written += batch.Count;
                    batch.Clear();
                    texts.Clear();
                    progress.Update(written, tokensDone);
                }
                if (sentence is null) break;
                sentence = reader.Next();
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
        context.Summary = new RunSummary(string.Create(CultureInfo.InvariantCulture, $"{written} sentences, {tokensDone} tokens"), settings.Output, tokensDone, "tokens");
        return 0;
    }

    /// <summary>Writes sentence <paramref name="b"/> of the batch: its layers as chosen, pooled over tokens or not.</summary>
    private static void Write(EmbeddingFileWriter writer, string text, ElmoBatchOutput output, int b, EmbedSettings settings, ReadOnlySpan<float> mixed, float[] pooled)
    {
        int n = output.Lengths[b], dim = output.Dim, layerCount = output.LayerCount;
        if (settings.Pool is { } pooling)
        {
            switch (settings.Layers)
            {
                case LayerSelection.All:
                    for (int l = 0; l < layerCount; l++) SentencePooling.Pool(output.Layer(b, l), dim, pooling, pooled.AsSpan(l * dim, dim));
                    writer.AddDataset(text, [layerCount, dim], pooled.AsSpan(0, layerCount * dim));
                    break;
                case LayerSelection.Top:
                    SentencePooling.Pool(output.Layer(b, layerCount - 1), dim, pooling, pooled);
                    writer.AddDataset(text, [dim], pooled.AsSpan(0, dim));
                    break;
                default:
                    SentencePooling.Pool(mixed, dim, pooling, pooled);
                    writer.AddDataset(text, [dim], pooled.AsSpan(0, dim));
                    break;
            }
            return;
        }
        switch (settings.Layers)
        {
            case LayerSelection.All:
                writer.BeginDataset(text, [layerCount, n, dim]);
                for (int l = 0; l < layerCount; l++) writer.WriteValues(output.Layer(b, l));
                break;
            case LayerSelection.Top:
                writer.AddDataset(text, [n, dim], output.Layer(b, layerCount - 1));
                break;
            default:
                writer.AddDataset(text, [n, dim], mixed);
                break;
        }
    }

    /// <summary>What the options ask for, checked; the two spellings resolved.</summary>
    private sealed record EmbedSettings(string Input, string Output, bool AllenNlpSpelling, LayerSelection Layers, Pooling? Pool,
        int BatchSize, bool Stateful, EmbeddingFileLayout Layout)
    {
        public static EmbedSettings From(OptionValues args)
        {
            string? positionalInput = args.Argument("INPUT"), positionalOutput = args.Argument("OUTPUT");
            string? namedInput = args.Value("--input"), namedOutput = args.Value("--output");
            if (positionalInput is not null && namedInput is not null) throw args.Error($"give the input either as INPUT ('{positionalInput}') or with --input, not both");
            if (positionalOutput is not null && namedOutput is not null) throw args.Error($"give the output either as OUTPUT ('{positionalOutput}') or with --output, not both");
            bool allenNlp = positionalInput is not null;
            string input = positionalInput ?? namedInput ?? throw args.Error("missing option '--input' (or INPUT OUTPUT, AllenNLP's spelling)");
            string output = positionalOutput ?? namedOutput ?? throw args.Error(allenNlp ? "missing OUTPUT (the HDF5 file to write)" : "missing option '--output'");

            string[] flags = [.. new[] { "--all", "--top", "--average" }.Where(args.Has)];
            if (flags.Length > 1) throw args.Error($"{string.Join(" and ", flags)} exclude each other: give one");
            string? layersValue = args.Value("--layers");
            if (flags.Length == 1 && layersValue is not null) throw args.Error($"give either --layers or {flags[0]}, not both");
            if (allenNlp && flags.Length == 0 && layersValue is null) throw args.Error("one of --all, --top, --average is required (as in AllenNLP's elmo command)");
            var layers = (flags.Length == 1 ? flags[0][2..] : layersValue ?? "all") switch
            {
                "all" => LayerSelection.All,
                "top" => LayerSelection.Top,
                "average" => LayerSelection.Average,
                var other => throw args.Error($"--layers must be all, top or average, not '{other}'"),
            };
            Pooling? pool = args.Value("--pool") switch
            {
                null => null,
                "mean" => Pooling.Mean,
                "max" => Pooling.Max,
                var other => throw args.Error($"--pool must be mean or max, not '{other}'"),
            };
            int batchSize = args.PositiveInt("--batch-size", 64);
            if (args.Has("--stateful") && args.Has("--stateless")) throw args.Error("--stateful and --stateless exclude each other");
            bool stateful = args.Has("--stateful") || (allenNlp && !args.Has("--stateless"));
            var layout = args.Has("--use-sentence-keys") ? EmbeddingFileLayout.SentenceKeys
                : args.Has("--forget-sentences") ? EmbeddingFileLayout.LineNumbers
                : EmbeddingFileLayout.LineNumbersWithSentenceToIndex;
            if (args.Value("--cuda-device") is { } device)
            {
                if (!int.TryParse(device, NumberStyles.Integer, CultureInfo.InvariantCulture, out int d))
                    throw args.Error($"--cuda-device must be an integer, not '{device}'");
                if (d != -1) throw args.Error($"no GPU: ElmoNative runs on the CPU (--cuda-device {device}; only -1 is accepted)");
            }
            return new EmbedSettings(input, output, allenNlp, layers, pool, batchSize, stateful, layout);
        }
    }

    /// <summary>
    /// The sentences of the input, as AllenNLP reads them: <c>line.strip()</c>, then <c>.split()</c>; an empty line is an
    /// error naming its line and 0-based index. With sentence keys, a repeated sentence and one HDF5 cannot take as a
    /// name are errors too.
    /// </summary>
    private sealed class SentenceReader(Utf8LineReader lines, string name, bool sentenceKeys)
    {
        private readonly Dictionary<string, long>? seen = sentenceKeys ? new(StringComparer.Ordinal) : null;

        /// <summary>The next sentence (its stripped text and tokens), or null at the end.</summary>
        public (string Text, string[] Tokens)? Next()
        {
            if (!lines.TryRead(out string? line)) return null;
            long number = lines.LineNumber;
            string where = string.Create(CultureInfo.InvariantCulture, $"{name}:{number}: ");
            string index = string.Create(CultureInfo.InvariantCulture, $"(index {number - 1})");
            if (line.Length == 0) throw CliException.DataError($"{where}empty line {index}");
            string text = PythonText.Strip(line);
            if (text.Length == 0) throw CliException.DataError($"{where}line has only whitespace {index}");
            if (seen is not null)
            {
                if (!EmbeddingFileWriter.IsValidKey(text))
                    throw CliException.DataError($"{where}the sentence cannot name an HDF5 dataset ('/' or NUL in it, or '.' alone) {index}; drop --use-sentence-keys");
                if (seen.TryGetValue(text, out long first))
                    throw CliException.DataError($"{where}the same sentence as line {first} {index}; --use-sentence-keys needs distinct sentences (drop it to encode duplicates)");
                seen.Add(text, number);
            }
            return (text, PythonText.Split(text));
        }
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
