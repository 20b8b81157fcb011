using System.Text;

namespace ElmoNative.Cli;

/// <summary>Entry point of the <c>elmo</c> command.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        // The first Ctrl+C stops the command cleanly (temporary files removed, exit 130); a second one kills the process.
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = !cancellation.IsCancellationRequested;
            cancellation.Cancel();
        };
        // stdin as raw bytes (the commands check UTF-8 themselves, line by line).
        using var stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false, throwOnInvalidBytes: true));
        return CommandLine.Run(args, stdin, Console.Out, Console.Error, cancellation.Token);
    }
}
