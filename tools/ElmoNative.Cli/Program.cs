using System.Runtime.InteropServices;
using System.Text;

namespace ElmoNative.Cli;

/// <summary>Entry point of the <c>elmo</c> command.</summary>
public static class Program
{
    /// <summary>Exit code after SIGTERM: 128 + 15, as a shell reports a process the signal ended.</summary>
    public const int TerminatedExitCode = 143;

    public static int Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        // The first Ctrl+C (SIGINT) or SIGTERM stops the command cleanly (temporary files removed; exit 130 or 143); a
        // second one ends the process at once (a later run removes what it left: docs/reliability.md).
        int terminated = 0;
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = !cancellation.IsCancellationRequested;
            cancellation.Cancel();
        };
        using var sigterm = OnSigterm(context =>
        {
            context.Cancel = !cancellation.IsCancellationRequested;
            Volatile.Write(ref terminated, 1);
            cancellation.Cancel();
        });
        // stdin as raw bytes (the commands check UTF-8 themselves, line by line).
        using var stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false, throwOnInvalidBytes: true));
        int code = CommandLine.Run(args, stdin, Console.Out, Console.Error, cancellation.Token);
        return code == CommandLine.InterruptedExitCode && Volatile.Read(ref terminated) == 1 ? TerminatedExitCode : code;
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
