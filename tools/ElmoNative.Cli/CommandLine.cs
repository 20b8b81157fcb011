namespace ElmoNative.Cli;

/// <summary>
/// Parses the command line and dispatches to a command. Exit codes: 0 success, 1 data error (files, input,
/// checkpoint), 2 usage error, 130 interrupted. Every error is one line on stderr starting with <c>elmo: </c>.
/// </summary>
public static class CommandLine
{
    /// <summary>The global help.</summary>
    public const string Usage = """
        usage: elmo <command> [options]
               elmo <command> --help

        ELMo (Peters et al. 2018) contextual word vectors from bilm-tf / AllenNLP checkpoints.

        commands:
          embed              embed sentences (one per line) into an HDF5 file, like AllenNLP's `elmo` command
          token-embeddings   context-independent vectors of a vocabulary, like bilm-tf's dump_token_embeddings
          random-checkpoint  write a checkpoint with seeded random weights (options.json + weights.hdf5)
          info               check a checkpoint and print its options, size and MFLOP per token
          vocab              build a training vocabulary (<S>, </S>, <UNK>, then words by count) from text files
          train              train a biLM on one-sentence-per-line text (bilm-tf's recipe), with checkpoints and --resume
          perplexity         forward, backward and average perplexity of a text under a trained biLM

        A model is given as --model DIR (holding options.json and weights.hdf5) or --options FILE --weights FILE;
        without either, models/default/ in the repository is used when present.

        exit status: 0 success, 1 data error (missing or bad file, bad input, bad checkpoint), 2 usage error
        """;

    private static readonly Dictionary<string, (Func<CommandContext, IReadOnlyList<string>, int> Run, Func<string> Usage)> Commands =
        new(StringComparer.Ordinal)
        {
            ["embed"] = (EmbedCommand.Run, () => EmbedCommand.Usage),
            ["token-embeddings"] = (TokenEmbeddingsCommand.Run, () => TokenEmbeddingsCommand.Usage),
            ["random-checkpoint"] = (RandomCheckpointCommand.Run, () => RandomCheckpointCommand.Usage),
            ["info"] = (InfoCommand.Run, () => InfoCommand.Usage),
            ["vocab"] = (VocabCommand.Run, () => VocabCommand.Usage),
            ["train"] = (TrainCommand.Run, () => TrainCommand.Usage),
            ["perplexity"] = (PerplexityCommand.Run, () => PerplexityCommand.Usage),
        };

    /// <summary>Runs the command line in-process (tests call this).</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr) =>
        Run(args, stdin, stdout, stderr, CancellationToken.None);

    /// <summary>Runs the command line; <paramref name="cancellation"/> stops a running command (Ctrl+C).</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(args);
        bool terminal = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
        var context = new CommandContext(stdin, stdout, stderr, terminal, cancellation);
        try
        {
            return Dispatch(context, args);
        }
        catch (CliException e)
        {
            return Fail(stderr, e.Message, e.ExitCode);
        }
        catch (OperationCanceledException)
        {
            return Fail(stderr, "interrupted", 130);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or FormatException
                                       or IOException or UnauthorizedAccessException)
        {
            // The library's messages already name the file (and the dataset and shapes for a bad checkpoint).
            return Fail(stderr, e.Message, CliException.DataExitCode);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Fail(stderr, $"internal error: {e.GetType().Name}: {e.Message}", CliException.DataExitCode);
        }
        finally
        {
            stdout.Flush();
        }
    }

    private static int Dispatch(CommandContext context, string[] args)
    {
        if (args.Length == 0) throw CliException.UsageError("no command given (try 'elmo --help')");
        string first = args[0];
        if (first is "-h" or "--help" or "help")
        {
            if (first == "help" && args.Length > 1)
            {
                if (!Commands.TryGetValue(args[1], out var help)) throw UnknownCommand(args[1]);
                context.Out.WriteLine(help.Usage());
            }
            else
            {
                context.Out.WriteLine(Usage);
            }
            return 0;
        }
        if (!Commands.TryGetValue(first, out var command))
        {
            if (first.StartsWith('-')) throw CliException.UsageError($"unknown option '{first}' before the command (try 'elmo --help')");
            throw UnknownCommand(first);
        }
        return command.Run(context, args[1..]);
    }

    private static CliException UnknownCommand(string name) =>
        CliException.UsageError($"unknown command '{name}' (commands: {string.Join(", ", Commands.Keys)}; try 'elmo --help')");

    private static int Fail(TextWriter stderr, string message, int code)
    {
        stderr.WriteLine("elmo: " + string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        stderr.Flush();
        return code;
    }
}
