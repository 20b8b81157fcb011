namespace ElmoNative.Cli;

/// <summary>Options several commands share, added to a command with the same names and help everywhere.</summary>
internal static class CommonOptions
{
    /// <summary>Drops the summary line.</summary>
    public const string Quiet = "--quiet";

    /// <summary>Replaces an existing output.</summary>
    public const string Force = "--force";

    /// <summary>Adds <c>--threads N</c>.</summary>
    public static void Threads(ElmoCommand command) =>
        command.Value("--threads", "N", "most threads per kernel call (default: all cores)");

    /// <summary>Adds <c>--progress</c> and <c>--no-progress</c>.</summary>
    public static void Progress(ElmoCommand command)
    {
        command.Switch("--progress", "show progress on stderr even when it is not a terminal (a line every 10 s)");
        command.Switch("--no-progress", "never show progress");
    }

    /// <summary>Adds <c>--force</c> with what it replaces.</summary>
    public static void AddForce(ElmoCommand command, string what) => command.Switch(Force, $"replace {what} if it exists");

    /// <summary>Adds <c>--quiet</c>.</summary>
    public static void AddQuiet(ElmoCommand command) =>
        command.Switch(Quiet, "no summary line on stderr at the end (errors are still reported)");
}
