using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace ElmoNative.Cli;

/// <summary>
/// Parses the command line with System.CommandLine and runs a command. Exit codes: 0 success, 1 data error (files,
/// input, checkpoint, out of memory), 2 usage error (parse errors included), 130 interrupted (143 after SIGTERM:
/// <see cref="Program"/>). Every error is one line on stderr starting
/// with <c>elmo: </c>; every successful command ends with a one-line summary on stderr (<c>--quiet</c> drops it).
/// System.CommandLine also gives response files (<c>elmo embed @args.rsp</c>) and shell completion
/// (<c>elmo [suggest:N] "command line"</c>, as the dotnet-suggest shim calls it).
/// </summary>
public static class CommandLine
{
    /// <summary>Exit code of a command stopped by Ctrl+C (128 + SIGINT).</summary>
    public const int InterruptedExitCode = 130;

    /// <summary>The commands, in help order.</summary>
    internal static IReadOnlyList<ElmoCommand> Commands { get; } =
    [
        EmbedCommand.Create(),
        MergeCommand.Create(),
        TokenEmbeddingsCommand.Create(),
        RandomCheckpointCommand.Create(),
        InfoCommand.Create(),
        VocabCommand.Create(),
        TrainCommand.Create(),
        PerplexityCommand.Create(),
        TaggerCommand.Create(),
        TagCommand.Create(),
        ModelsCommand.Create(),
        ServeCommand.Create(),
    ];

    private static readonly RootCommand Root = CreateRoot();

    /// <summary>The global help.</summary>
    public static string Usage { get; } = CreateUsage();

    /// <summary>Runs the command line in-process (tests call this).</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr) =>
        Run(args, stdin, stdout, stderr, CancellationToken.None);

    /// <summary>Runs the command line; <paramref name="cancellation"/> stops a running command (Ctrl+C).</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, CancellationToken cancellation) =>
        Run(args, stdin, stdout, stderr, Environment.GetEnvironmentVariable, cancellation);

    /// <summary>As above, with the environment variables read through <paramref name="environment"/> (tests).</summary>
    internal static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr, Func<string, string?> environment,
                            CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(args);
        bool terminal = ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected;
        var context = new CommandContext(stdin, stdout, stderr, terminal, cancellation)
        {
            Environment = environment,
            StandardOutputStream = ReferenceEquals(stdout, Console.Out) ? Console.OpenStandardOutput : null,
        };
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
            return Fail(stderr, "interrupted", InterruptedExitCode);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or FormatException
                                       or IOException or UnauthorizedAccessException)
        {
            // The library's messages already name the file (and the dataset and shapes for a bad checkpoint).
            return Fail(stderr, e.Message, CliException.DataExitCode);
        }
        catch (OutOfMemoryException)
        {
            // Anywhere in a command (a managed or a native allocation): the usual one line, the option to lower named.
            return Fail(stderr, OutOfMemory(args), CliException.DataExitCode);
        }
        catch (Exception e)
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
        var result = Root.Parse(args, new ParserConfiguration { EnablePosixBundling = false });
        var command = result.CommandResult.Command;
        if (result.Action is HelpAction)
        {
            context.Out.Write(command is ElmoCommand elmo ? HelpText.For(elmo) : Usage);
            return 0;
        }
        if (result.Action is not null && command is not ElmoCommand && command is not HelpCommand && result.Errors.Count == 0)
        {
            // A directive ([suggest] completions, [diagram]) or --version.
            return result.Invoke(new InvocationConfiguration { Output = context.Out, Error = context.Error, EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        if (ParseProblems.Describe(result, Commands.Select(c => c.Name).ToArray()) is { } problem)
            throw CliException.UsageError(problem);
        if (command is HelpCommand)
        {
            string[] names = result.GetValue(HelpCommand.Topic) ?? [];
            if (names.Length == 0)
            {
                context.Out.Write(Usage);
                return 0;
            }
            var topic = Commands.FirstOrDefault(c => c.Name == names[0])
                ?? throw CliException.UsageError(ParseProblems.UnknownCommand(names[0], Commands.Select(c => c.Name).ToArray()));
            foreach (string name in names.Skip(1))
                topic = topic.Commands.FirstOrDefault(c => c.Name == name)
                    ?? throw CliException.UsageError($"unknown command 'elmo {topic.FullName} {name}' (try 'elmo {topic.FullName} --help')");
            context.Out.Write(HelpText.For(topic));
            return 0;
        }
        var run = (ElmoCommand)command;
        var values = new OptionValues(run.FullName, result);
        var clock = Stopwatch.StartNew();
        int code = run.Run(context, values);
        if (code == 0 && context.Summary is { } summary && !values.Has(CommonOptions.Quiet))
        {
            context.Error.WriteLine(summary.Format(run.FullName, clock.Elapsed));
            context.Error.Flush();
        }
        return code;
    }

    private static RootCommand CreateRoot()
    {
        var root = new RootCommand("ELMo (Peters et al. 2018) contextual word vectors from bilm-tf / AllenNLP checkpoints.");
        foreach (var command in Commands) root.Add(command);
        root.Add(new HelpCommand());
        return root;
    }

    private static string CreateUsage()
    {
        var text = new StringBuilder();
        text.AppendLine("usage: elmo <command> [options]");
        text.AppendLine("       elmo <command> --help");
        text.AppendLine();
        text.AppendLine("ELMo (Peters et al. 2018) contextual word vectors from bilm-tf / AllenNLP checkpoints.");
        text.AppendLine();
        text.AppendLine("commands:");
        foreach (var command in Commands) text.AppendLine(CultureInfo.InvariantCulture, $"  {command.Name,-19}{command.Description}");
        text.AppendLine();
        text.AppendLine("""
            A model is given as --model DIR (a folder with the options JSON and HDF5 weights of a bilm-tf / AllenNLP
            checkpoint), --model NAME (a published model, e.g. small or original-5.5b: 'elmo models list'; downloaded into
            the cache, ~/.cache/elmonative or $ELMONATIVE_HOME, on first use, then used from there without network), or
            --options FILE --weights FILE; without any, models/default/ in the repository is used when present.
            --registry FILE (or ELMONATIVE_REGISTRY) adds models to the built-in list of names (docs/models.md).

            Every command ends with a one-line summary on stderr (--quiet: none). Arguments can come from a response
            file: elmo embed @args.rsp (one argument per line). Shell completion: the dotnet-suggest protocol
            (elmo [suggest:N] "command line").

            Outputs appear whole or not at all: a file is written under a temporary name in its folder
            (.NAME.PID-START-NS-RANDOM.tmp) and renamed over the output at the end; an error, Ctrl+C or SIGTERM deletes
            it, and the next run writing into the folder deletes those of runs that were killed (never a live run's). An
            output that is one of the command's inputs, whatever links or hard links lead to it, is refused; a symbolic
            link is written through. A device, a FIFO or /dev/stdout is written into, never replaced, and --output -
            writes to stdout; as HDF5 is written with seeks, the file is made in $TMPDIR first and copied in at the end.

            exit status: 0 success, 1 data error (missing or bad file, bad input, bad checkpoint, failed download, out of
            memory), 2 usage error, 130 interrupted (Ctrl+C), 143 terminated (SIGTERM)
            """);
        return text.ToString().ReplaceLineEndings("\n");
    }

    /// <summary>
    /// The message of an allocation failure while running <paramref name="args"/>: the command, and the option that
    /// sets how much is held at once where it has one (<c>--batch-size</c>).
    /// </summary>
    private static string OutOfMemory(string[] args)
    {
        GC.Collect(); // what the failed command held is garbage now: room for the message
        string command = args.Length > 0 && Commands.Any(c => c.Name == args[0]) ? args[0] : "";
        string running = command.Length > 0 ? $"running 'elmo {command}'" : "running elmo";
        bool batches = Commands.FirstOrDefault(c => c.Name == command)?.Options.Any(o => o.Name == "--batch-size") == true;
        return batches ? $"out of memory while {running}; lower --batch-size" : $"out of memory while {running}; free memory or use a smaller input";
    }

    private static int Fail(TextWriter stderr, string message, int code)
    {
        stderr.WriteLine("elmo: " + string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)));
        stderr.Flush();
        return code;
    }
}

/// <summary><c>elmo help [COMMAND [SUBCOMMAND]]</c>: the same as <c>elmo --help</c> or <c>elmo COMMAND --help</c> (hidden from the list).</summary>
internal sealed class HelpCommand : Command
{
    /// <summary>The command whose help to show.</summary>
    public static readonly Argument<string[]> Topic = new("COMMAND") { Arity = ArgumentArity.ZeroOrMore };

    public HelpCommand() : base("help", "show the help of elmo or of a command")
    {
        Hidden = true;
        Add(Topic);
    }
}
