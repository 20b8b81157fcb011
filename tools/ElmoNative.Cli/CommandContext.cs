using ElmoNative.Kernels;

namespace ElmoNative.Cli;

/// <summary>What a command runs with: the standard streams, whether stderr is a terminal, and cancellation (Ctrl+C).</summary>
internal sealed record CommandContext(TextReader In, TextWriter Out, TextWriter Error, bool ErrorIsTerminal, CancellationToken Cancellation)
{
    /// <summary>Options every command that shows progress accepts.</summary>
    public static readonly string[] ProgressSwitches = ["--progress", "--no-progress"];

    /// <summary>Progress bar mode: on a terminal by default, in a log only with <c>--progress</c>, never with <c>--no-progress</c>.</summary>
    public ProgressMode Progress(Arguments args)
    {
        if (args.Has("--no-progress")) return ProgressMode.Off;
        if (ErrorIsTerminal) return ProgressMode.Terminal;
        return args.Has("--progress") ? ProgressMode.Log : ProgressMode.Off;
    }

    /// <summary>Applies <c>--threads N</c> to the kernels until disposed (the previous value is restored).</summary>
    public static IDisposable Threads(Arguments args)
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
