using PureHDF;
using PureHDF.Selections;

namespace ElmoNative.Cli;

/// <summary>
/// <c>elmo token-embeddings</c>: the context-independent representation of every vocabulary line, as bilm-tf's
/// <c>dump_token_embeddings</c> writes it: one dataset <c>embedding</c> [V, P].
/// </summary>
internal static class TokenEmbeddingsCommand
{
    /// <summary>The most tokens embedded in one call of the model.</summary>
    private const int MaxTokensPerCall = 4096;

    /// <summary>The command and its options.</summary>
    public static ElmoCommand Create()
    {
        var command = new ElmoCommand("token-embeddings", "context-independent vectors of a vocabulary, like bilm-tf's dump_token_embeddings", Run)
        {
            Synopsis = ["elmo token-embeddings [--model DIR|NAME | --options F --weights F] --vocab FILE --output FILE.hdf5 [--force]"],
            Details = """
                Writes the context-independent token representation (character CNN, highway, projection) of every line of
                a vocabulary file to the float32 dataset "embedding" [V, P], in file order, like bilm-tf's
                dump_token_embeddings. <S> and </S> get the sentence boundary representations.
                """,
            Notes = """
                Empty or whitespace-only lines, lines with more than one token and invalid UTF-8 are errors (with the line
                number); nothing is written then.
                """,
        };
        ModelSource.AddOptions(command);
        command.Value("--vocab", "FILE", "vocabulary, UTF-8, one token per line (surrounding whitespace is ignored); - reads stdin");
        command.Value("--output", "FILE", OutputPath.HdfHelp);
        CommonOptions.AddForce(command, "--output");
        command.Value("--batch-size", "N", $"tokens per batch (default 1024; at most {MaxTokensPerCall} are embedded at once)");
        CommonOptions.Threads(command);
        CommonOptions.Progress(command);
        CommonOptions.AddQuiet(command);
        return command;
    }

    private static int Run(CommandContext context, OptionValues args)
    {
        string vocabPath = args.Required("--vocab");
        string outputPath = args.Required("--output");
        int batchSize = args.PositiveInt("--batch-size", 1024);
        var source = ModelSource.Resolve(context, args);
        OutputPath.Check(outputPath, args.Has(CommonOptions.Force), [vocabPath, .. source.Files]);

        using var model = source.LoadModel(args.OptionalPositiveInt("--threads"));
        model.TokenCacheCapacity = 0; // every token is looked up once: a cache would only cost memory
        var vocabulary = ReadVocabulary(vocabPath, context);

        int p = model.Options.ProjectionDim;
        var file = new H5File();
        var embedding = new H5Dataset<float[]>(fileDims: [(ulong)vocabulary.Count, (ulong)p]);
        file["embedding"] = embedding;
        using var progress = new ProgressBar(context.Error, context.Progress(args), "token-embeddings", vocabulary.Count, "tokens");
        // Tokens are embedded at most MaxTokensPerCall at a time whatever --batch-size says (a token's vector does not
        // depend on the others, bit for bit): the character CNN's scratch stays bounded (docs/reliability.md, "Memory").
        int perCall = Math.Min(batchSize, MaxTokensPerCall);
        float[] rows = new float[perCall * p];
        OutputPath.Write(context, outputPath, temp =>
        {
            using var writer = file.BeginWrite(temp);
            for (int start = 0; start < vocabulary.Count; start += perCall)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                int count = Math.Min(perCall, vocabulary.Count - start);
                model.EmbedTokens(vocabulary.GetRange(start, count), rows);
                writer.Write(embedding, count == perCall ? rows : rows[..(count * p)],
                             fileSelection: new HyperslabSelection(rank: 2, starts: [(ulong)start, 0], blocks: [(ulong)count, (ulong)p]));
                progress.Update(start + count);
            }
        });
        progress.Finish();
        context.Summary = new RunSummary(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{vocabulary.Count} tokens"), outputPath, vocabulary.Count, "tokens");
        return 0;
    }

    /// <summary>
    /// Reads a vocabulary file (UTF-8, one token per line, surrounding whitespace ignored; - is stdin). Empty or
    /// whitespace-only lines and lines with more than one token are data errors naming the line.
    /// </summary>
    internal static List<string> ReadVocabulary(string path, CommandContext context)
    {
        var input = TextInput.Open(path, context.In, "vocabulary file");
        var vocabulary = new List<string>();
        using (var lines = input.ReadLines())
        {
            while (lines.TryRead(out string? line))
            {
                string token = line.Trim();
                if (line.Length == 0) throw CliException.DataError($"{input.Name}:{lines.LineNumber}: empty line");
                if (token.Length == 0) throw CliException.DataError($"{input.Name}:{lines.LineNumber}: line has only whitespace");
                if (token.Any(char.IsWhiteSpace))
                    throw CliException.DataError($"{input.Name}:{lines.LineNumber}: line holds more than one token");
                vocabulary.Add(token);
            }
        }
        if (vocabulary.Count == 0) throw CliException.DataError($"{input.Name}: vocabulary is empty");
        return vocabulary;
    }
}
