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
    /// <summary>AllenNLP's layer switches, one of which its spelling requires.</summary>
    private static readonly string[] AllenNlpLayerFlags = ["--all", "--top", "--average"];

    /// <summary>The command and its options.</summary>
    public static ElmoCommand Create()
    {
        var command = new ElmoCommand("embed", "embed sentences (one per line) into an HDF5 file, like AllenNLP's `elmo` command", Run)
        {
            Synopsis =
            [
                "elmo embed [--model DIR|NAME | --options F --weights F] --input FILE|- --output FILE.hdf5",
                "           [--layers all|top|average] [--pool mean|max] [--batch-size 64] [--stateful] [--threads N]",
                "           [--vocab FILE] [--cache-size 7000] [--forget-sentences|--use-sentence-keys] [--force]",
                "           [--shard K/N|auto [--shard-count N]]",
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

                Sharded (--shard K/N, docs/scale-out.md): the run embeds shard K (from 0) of N, a contiguous byte range
                of the input file cut at line starts, into --output DIR: DIR/shard-0000K-of-0000N.hdf5, whose datasets are
                named by their global line numbers, and beside it DIR/shard-0000K-of-0000N.manifest.json (input, byte
                range and its SHA-256, lines, model checksum, options, version), written last. A rerun of a finished shard
                does nothing; a killed one left nothing partial and runs again. 'elmo merge --output FILE DIR' then
                writes the file one unsharded run writes. --shard auto takes K and N from a Slurm job array
                (SLURM_ARRAY_TASK_ID, _MIN, _COUNT) or a Kubernetes Indexed Job (JOB_COMPLETION_INDEX, with
                --shard-count N or ELMONATIVE_SHARD_COUNT).
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
        command.Value("--output", "FILE", OutputPath.HdfHelp + "; with --shard, the folder the shard's file and manifest go into (created if missing)");
        CommonOptions.AddForce(command, "the output");
        command.Value("--layers", "all|top|average", "all: (L+1, n, 2P) per sentence; top: last layer (n, 2P); average: mean of the layers (n, 2P). Default: all");
        command.Switch("--all", "--layers all (AllenNLP's spelling)");
        command.Switch("--top", "--layers top (AllenNLP's spelling)");
        command.Switch("--average", "--layers average (AllenNLP's spelling)");
        command.Value("--pool", "mean|max", "one vector per sentence: the mean or maximum over its tokens of the chosen layers: (L+1, 2P) with all, (2P) with top or average");
        command.Value("--batch-size", "N", "sentences per batch (default 64)");
        command.Value("--max-sentence-tokens", "N", $"most tokens of one line (default {EmbeddingFileOptions.DefaultMaxSentenceTokens:N0}): a sentence is embedded whole, so its memory grows with its length; a longer line is an error naming it, as is a line over 1 MiB");
        command.Switch("--stateful", "carry the LSTM state from batch to batch: batch k is lines k*N .. k*N+N-1 (the default of AllenNLP's spelling)");
        command.Switch("--stateless", "every sentence starts from zero state (the default of the named spelling)");
        command.Switch("--forget-sentences", "leave sentence_to_index out");
        command.Value("--shard", "K/N|auto", "embed only shard K (0 .. N-1) of N of the input file into --output DIR, with a manifest (see above); auto: from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX. Stateless only");
        command.Value("--shard-count", "N", $"with --shard auto: the number of shards (else {ShardOption.CountVariable}); needed under JOB_COMPLETION_INDEX; under Slurm it makes SLURM_ARRAY_TASK_ID the shard number itself, so that one task can be resubmitted alone (--array=K)");
        command.Switch("--use-sentence-keys", "name each dataset by its sentence (the stripped line) instead of its index, without sentence_to_index; a repeated sentence, or one holding '/' or being '.', is an error (HDF5 names); keeps the sentences in memory");
        CommonOptions.Threads(command);
        command.Value("--vocab", "FILE", "vocabulary (one token per line, as for token-embeddings): its token representations are computed once up front and kept (bilm-tf / AllenNLP vocab cache); other tokens still go through the character CNN");
        CommonOptions.CacheSize(command, "; the hit rate is shown with the progress");
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
        if (ShardOption.Resolve(args, context.Environment) is { } shard) return RunShard(context, args, settings, shard.Index, shard.Count);
        var source = ModelSource.Resolve(context, args);
        OutputPath.Check(settings.Output, args.Has(CommonOptions.Force), [settings.Input, args.Value("--vocab"), .. source.Files]);

        string? vocabPath = args.Value("--vocab");
        int? cacheSize = args.OptionalNonNegativeInt("--cache-size");
        var vocabulary = vocabPath is null ? null : TokenEmbeddingsCommand.ReadVocabulary(vocabPath, context);

        using var model = source.LoadModel(args.OptionalPositiveInt("--threads"));
        if (settings.File.Stateful) CheckStatefulMemory(model.Options, settings.File.BatchSize, args);
        if (cacheSize is { } capacity) model.TokenCacheCapacity = capacity;
        if (vocabulary is not null) model.PreloadVocabulary(vocabulary);
        var input = TextInput.Open(settings.Input, context.In, "input file");
        var mode = args.Has("--file-friendly-logging") && !args.Has("--no-progress") && !context.ErrorIsTerminal ? ProgressMode.Log : context.Progress(args);
        long total = mode != ProgressMode.Off && input.IsFile ? CountLines(settings.Input) : -1; // for the progress bar only

        using var lines = input.ReadLines();
        using var progress = new ProgressBar(context.Error, mode, "embed", total, "sentences", "tokens");
        var result = settings.Output == OutputPath.StandardOutput
            ? EmbeddingFile.Write(model, lines, context.OpenStandardOutput(), settings.File, new CountsToBar(progress), context.Cancellation)
            : EmbeddingFile.Write(model, lines, settings.Output, settings.File, new CountsToBar(progress), context.Cancellation);
        progress.Total = result.Sentences;
        progress.Finish();
        if (progress.Mode != ProgressMode.Off)
        {
            var cache = model.TokenCacheStatistics;
            context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"embed: token cache {cache.HitRate:P1} hits ({cache.Hits} of {cache.Hits + cache.Misses} lookups; {cache.Preloaded} preloaded, {cache.Count} of {cache.Capacity} LRU entries)"));
        }
        context.Summary = new RunSummary(string.Create(CultureInfo.InvariantCulture, $"{result.Sentences} sentences, {result.Tokens} tokens"), settings.Output, result.Tokens, "tokens");
        return 0;
    }

    /// <summary>
    /// <c>--shard K/N</c>: one shard into the folder <c>--output</c> (docs/scale-out.md). The model is loaded only when
    /// the shard is not done yet.
    /// </summary>
    private static int RunShard(CommandContext context, OptionValues args, EmbedSettings settings, int index, int count)
    {
        if (settings.File.Stateful)
        {
            throw args.Error(settings.AllenNlpSpelling && !args.Has("--stateful")
                ? "--shard embeds stateless, and AllenNLP's spelling is stateful by default: add --stateless (a shard cannot start from the LSTM state the lines of the shards before it would leave)"
                : "--stateful cannot be sharded: a stateful run carries the LSTM state from batch to batch, so shard K would need the state the lines of the shards before it leave; drop --stateful");
        }
        if (settings.File.Layout == EmbeddingFileLayout.SentenceKeys) throw args.Error("--use-sentence-keys cannot be sharded: a shard's datasets are named by their global line numbers, which the merge puts together");
        if (settings.Input == OutputPath.StandardOutput) throw args.Error("--shard needs an input file: a shard seeks to its byte range, which stdin cannot");
        if (settings.Output == OutputPath.StandardOutput) throw args.Error("--output names a folder with --shard (the shard's file and manifest go into it), not '-'");
        if (File.Exists(settings.Output)) throw CliException.DataError($"{settings.Output}: with --shard, --output names a folder (shard files and manifests go into it), and this is a file");
        var source = ModelSource.Resolve(context, args);
        foreach (string? input in (string?[])[settings.Input, args.Value("--vocab"), .. source.Files])
        {
            if (input is not null && !File.Exists(input)) throw CliException.DataError($"{input}: input file not found");
        }
        string? vocabPath = args.Value("--vocab");
        int? cacheSize = args.OptionalNonNegativeInt("--cache-size");
        var vocabulary = vocabPath is null ? null : TokenEmbeddingsCommand.ReadVocabulary(vocabPath, context);
        string checksum = ShardManifest.ModelChecksum(source.OptionsPath, source.WeightsPath);

        ElmoModel? model = null;
        ElmoModel Load()
        {
            model = source.LoadModel(args.OptionalPositiveInt("--threads"));
            if (cacheSize is { } capacity) model.TokenCacheCapacity = capacity;
            if (vocabulary is not null) model.PreloadVocabulary(vocabulary);
            return model;
        }
        var mode = args.Has("--file-friendly-logging") && !args.Has("--no-progress") && !context.ErrorIsTerminal ? ProgressMode.Log : context.Progress(args);
        using var progress = new ProgressBar(context.Error, mode, "embed", -1, "sentences", "tokens");
        try
        {
            var result = EmbeddingShard.Write(Load, settings.Input, index, count, settings.Output, checksum, settings.File, args.Has(CommonOptions.Force),
                new CountsToBar(progress), context.Cancellation);
            var m = result.Manifest;
            progress.Total = m.Lines;
            progress.Finish();
            string where = string.Create(CultureInfo.InvariantCulture, $"shard {index}/{count}, {EmbeddingShard.LineRange(m)}");
            context.Summary = result.AlreadyDone
                ? new RunSummary($"{where} already done ({result.ManifestPath}), nothing to do", result.ManifestPath)
                : new RunSummary(string.Create(CultureInfo.InvariantCulture, $"{where}: {m.Lines} sentences, {m.Tokens} tokens"), result.ManifestPath, m.Tokens, "tokens");
        }
        finally
        {
            model?.Dispose();
        }
        return 0;
    }

    /// <summary>
    /// Stateful embedding keeps the LSTM state of every row of a batch (2 directions x layers x (P + H) floats per row),
    /// whatever is done to bound the activations: a batch size whose state would take more than half the memory the
    /// process may use (<see cref="GCMemoryInfo.TotalAvailableMemoryBytes"/>, which a container's or
    /// DOTNET_GCHeapHardLimit's limit lowers) is refused up front, naming --batch-size (docs/reliability.md, "Memory").
    /// </summary>
    private static void CheckStatefulMemory(ElmoOptions options, int batchSize, OptionValues args)
    {
        long perRow = 2L * options.LstmLayers * (options.ProjectionDim + options.LstmDim) * sizeof(float);
        long state = perRow * batchSize;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        if (available > 0 && state > available / 2)
        {
            throw args.Error(string.Create(CultureInfo.InvariantCulture,
                $"--batch-size {batchSize} with a stateful embed keeps the LSTM state of {batchSize} rows, {state / 1e6:F0} MB, more than half of the {available / 1e6:F0} MB of memory available; lower --batch-size (at most {available / 2 / perRow} here)"));
        }
    }

    /// <summary>Sentences and tokens written, to the progress bar.</summary>
    private sealed class CountsToBar(ProgressBar bar) : IProgress<EmbeddingFileProgress>
    {
        public void Report(EmbeddingFileProgress value) => bar.Update(value.Sentences, value.Tokens);
    }

    /// <summary>What the options ask for, checked; the two spellings resolved.</summary>
    private sealed record EmbedSettings(string Input, string Output, bool AllenNlpSpelling, EmbeddingFileOptions File)
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

            string[] flags = [.. AllenNlpLayerFlags.Where(args.Has)];
            if (flags.Length > 1) throw args.Error($"{string.Join(" and ", flags)} exclude each other: give one");
            string? layersValue = args.Value("--layers");
            if (flags.Length == 1 && layersValue is not null) throw args.Error($"give either --layers or {flags[0]}, not both");
            if (allenNlp && flags.Length == 0 && layersValue is null) throw args.Error("one of --all, --top, --average is required (as in AllenNLP's elmo command)");
            var layers = (flags.Length == 1 ? flags[0][2..] : layersValue ?? "all") switch
            {
                "all" => EmbeddingLayers.All,
                "top" => EmbeddingLayers.Top,
                "average" => EmbeddingLayers.Average,
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
            int maxSentenceTokens = args.PositiveInt("--max-sentence-tokens", EmbeddingFileOptions.DefaultMaxSentenceTokens);
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
            return new EmbedSettings(input, output, allenNlp, new EmbeddingFileOptions { Layers = layers, Pooling = pool, BatchSize = batchSize, Stateful = stateful, Layout = layout, MaxSentenceTokens = maxSentenceTokens });
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
