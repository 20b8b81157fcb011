namespace ElmoNative.Cli;

/// <summary>An error the command reports as one line on stderr, with its exit code.</summary>
internal sealed class CliException(string message, int exitCode) : Exception(message)
{
    /// <summary>Exit code of a usage error: unknown command or option, missing value, bad number.</summary>
    public const int UsageExitCode = 2;

    /// <summary>Exit code of a data error: missing or unreadable file, bad checkpoint, bad input.</summary>
    public const int DataExitCode = 1;

    /// <summary>The process exit code.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>A usage error (exit code 2).</summary>
    public static CliException UsageError(string message) => new(message, UsageExitCode);

    /// <summary>A data error (exit code 1).</summary>
    public static CliException DataError(string message) => new(message, DataExitCode);
}
