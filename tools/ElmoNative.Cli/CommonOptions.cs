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

    /// <summary>Adds <c>--cache-size N</c>, with <paramref name="more"/> (if any) after its default.</summary>
    public static void CacheSize(ElmoCommand command, string? more = null) =>
        command.Value("--cache-size", "N", $"tokens kept in the LRU cache of token representations (default: as many as fit in about {ElmoModel.DefaultTokenCacheBytes / 1_000_000} MB, fewer where the encoder is cheap next to the LSTM: {ElmoModel.DefaultTokenCacheCapacity:N0} for `original`; 0 turns it off){more}");

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
