using System.Globalization;
using ElmoNative.Kernels;

namespace ElmoNative.Cli;

/// <summary>What a command runs with: the standard streams, whether stderr is a terminal, and cancellation (Ctrl+C).</summary>
internal sealed record CommandContext(TextReader In, TextWriter Out, TextWriter Error, bool ErrorIsTerminal, CancellationToken Cancellation)
{
    /// <summary>
    /// Reads an environment variable (<c>ELMONATIVE_HOME</c>, <c>ELMONATIVE_REGISTRY</c>); the process environment
    /// unless a test gives its own, since tests run in parallel and must not change the process's.
    /// </summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>
    /// Opens the process's standard output as bytes (for <c>--output -</c>); null when the command runs in-process with
    /// a <see cref="Out"/> of its own (tests), where binary output has nowhere to go.
    /// </summary>
    public Func<Stream>? StandardOutputStream { get; init; }

    /// <summary>Standard output as a byte stream, after flushing the text written to <see cref="Out"/> so far.</summary>
    public Stream OpenStandardOutput()
    {
        Out.Flush();
        return (StandardOutputStream ?? throw CliException.UsageError("'-' as the output writes to the process's standard output, which an in-process run does not have"))();
    }

    /// <summary>What the command's summary line reports; set by the command, printed by <see cref="CommandLine"/> after success.</summary>
    public RunSummary? Summary { get; set; }

    /// <summary>Progress bar mode: on a terminal by default, in a log only with <c>--progress</c>, never with <c>--no-progress</c>.</summary>
    public ProgressMode Progress(OptionValues args)
    {
        if (args.Has("--no-progress")) return ProgressMode.Off;
        if (ErrorIsTerminal) return ProgressMode.Terminal;
        return args.Has("--progress") ? ProgressMode.Log : ProgressMode.Off;
    }

    /// <summary>
    /// Applies <c>--threads N</c> to the kernels until disposed (the previous value is restored): for the training
    /// commands, whose network has no per-model thread count yet; embed and token-embeddings set the model's own.
    /// </summary>
    public static IDisposable Threads(OptionValues args)
    {
        int previous = KernelSettings.MaxThreads;
        if (args.OptionalPositiveInt("--threads") is { } threads) KernelSettings.MaxThreads = threads;
        return new Restore(() => KernelSettings.MaxThreads = previous);
    }

    private sealed class Restore(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}

/// <summary>
/// The one-line summary a command ends with on stderr: <c>COMMAND: COUNTS, SECONDS s[, RATE UNIT/s][ -> OUTPUT]</c>, e.g.
/// <c>embed: 30 sentences, 312 tokens, 0.41 s, 761 tokens/s -> out.hdf5</c>.
/// </summary>
/// <param name="Counts">What was done (<c>30 sentences, 312 tokens</c>).</param>
/// <param name="Output">The file or directory written, or null.</param>
/// <param name="RateCount">The count whose rate is shown, or null.</param>
/// <param name="RateUnit">Its unit (<c>tokens</c>).</param>
internal sealed record RunSummary(string Counts, string? Output = null, double? RateCount = null, string? RateUnit = null)
{
    /// <summary>The line for command <paramref name="command"/> that took <paramref name="elapsed"/>.</summary>
    public string Format(string command, TimeSpan elapsed)
    {
        var c = CultureInfo.InvariantCulture;
        double seconds = elapsed.TotalSeconds;
        string line = string.Format(c, "{0}: {1}, {2:F2} s", command, Counts, seconds);
        if (RateCount is { } count) line += string.Format(c, ", {0:F0} {1}/s", count / Math.Max(seconds, 1e-9), RateUnit);
        if (Output is not null) line += " -> " + Output;
        return line;
    }
}
