using System.Runtime.InteropServices;
using System.Text;
using ElmoNative.Checkpoints;

namespace ElmoNative.Cli;

/// <summary>Entry point of the <c>elmo</c> command.</summary>
public static class Program
{
    /// <summary>Exit code after SIGTERM: 128 + 15, as a shell reports a process the signal ended.</summary>
    public const int TerminatedExitCode = 143;

    /// <summary>
    /// How long a command has to stop after Ctrl+C or SIGTERM before the process ends without it (its temporary files
    /// deleted first): a command blocked reading a silent stdin sees the cancellation only at its next line. 5 s;
    /// <c>elmo serve</c> sets its shutdown timeout plus 5 s, to answer the requests in flight.
    /// </summary>
    internal static TimeSpan StopGrace { get; set; } = TimeSpan.FromSeconds(5);

    public static int Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        // The first Ctrl+C (SIGINT) or SIGTERM stops the command cleanly (temporary files removed; exit 130 or 143); a
        // second one ends the process at once (a later run removes what it left: docs/reliability.md).
        int terminated = 0;
        Timer? watchdog = null;
        void Stop(bool sigterm)
        {
            if (sigterm) Volatile.Write(ref terminated, 1);
            cancellation.Cancel();
            watchdog ??= new Timer(_ => EndNow(sigterm ? TerminatedExitCode : CommandLine.InterruptedExitCode), null, StopGrace, Timeout.InfiniteTimeSpan);
        }
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = !cancellation.IsCancellationRequested;
            Stop(sigterm: false);
        };
        using var sigterm = OnSigterm(context =>
        {
            context.Cancel = !cancellation.IsCancellationRequested;
            Stop(sigterm: true);
        });
        // stdin as raw bytes (the commands check UTF-8 themselves, line by line).
        using var stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false, throwOnInvalidBytes: true));
        int code = CommandLine.Run(args, stdin, Console.Out, Console.Error, cancellation.Token);
        watchdog?.Dispose();
        return code == CommandLine.InterruptedExitCode && Volatile.Read(ref terminated) == 1 ? TerminatedExitCode : code;
    }

    /// <summary>Ends the process now, its temporary files deleted, when a stopped command did not end within <see cref="StopGrace"/>.</summary>
    private static void EndNow(int exitCode)
    {
        AtomicFile.DeleteActiveTemporaryFiles();
        Console.Error.WriteLine("elmo: interrupted");
        Console.Error.Flush();
        Environment.Exit(exitCode);
    }

    /// <summary>Handles SIGTERM where the system has it (null elsewhere: the default action stays).</summary>
    private static PosixSignalRegistration? OnSigterm(Action<PosixSignalContext> handler)
    {
        try
        {
            return PosixSignalRegistration.Create(PosixSignal.SIGTERM, handler);
        }
        catch (PlatformNotSupportedException)
        {
            return null;
        }
    }
}
