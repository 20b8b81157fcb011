using ElmoNative.Cli;

namespace ElmoNative.TestSupport;

/// <summary>
/// What one in-process run of <c>elmo</c> printed and returned (shared by the test projects: compiled into each).
/// </summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The command that was run (the first argument), or "" when none was given.</summary>
    public string Command { get; init; } = "";

    /// <summary>Runs <c>elmo</c> in-process with an empty stdin.</summary>
    public static CliResult Run(params string[] args) => Run(TextReader.Null, CancellationToken.None, args);

    /// <summary>Runs <c>elmo</c> in-process with the given stdin and cancellation token (Ctrl+C).</summary>
    public static CliResult Run(TextReader stdin, CancellationToken cancellation, params string[] args) =>
        Run(stdin, Environment.GetEnvironmentVariable, args, cancellation);

    /// <summary>
    /// Runs <c>elmo</c> in-process with the environment variables it reads given by <paramref name="environment"/>
    /// (<c>ELMONATIVE_HOME</c>, <c>ELMONATIVE_REGISTRY</c>): tests run in parallel and leave the process's alone.
    /// </summary>
    public static CliResult RunWithEnvironment(IReadOnlyDictionary<string, string> environment, params string[] args) =>
        RunWithEnvironment(environment, CancellationToken.None, args);

    /// <summary>As above, with a cancellation token (Ctrl+C).</summary>
    public static CliResult RunWithEnvironment(IReadOnlyDictionary<string, string> environment, CancellationToken cancellation, params string[] args) =>
        Run(TextReader.Null, name => environment.GetValueOrDefault(name), args, cancellation);

    private static CliResult Run(TextReader stdin, Func<string, string?> environment, string[] args, CancellationToken cancellation)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, stdin, stdout, stderr, environment, cancellation);
        // The command as the summary line names it: with its subcommand (models list).
        string command = args.Length > 0 ? args[0] : "";
        if (command == "models" && args.Length > 1 && !args[1].StartsWith('-')) command += " " + args[1];
        return new CliResult(code, stdout.ToString(), stderr.ToString()) { Command = command };
    }

    /// <summary>Asserts a failure: the exit code, nothing on stdout, exactly one stderr line starting "elmo: " holding every word.</summary>
    public string AssertError(int exitCode, params string[] words)
    {
        Assert.True(exitCode == ExitCode, $"expected exit code {exitCode}, got {ExitCode}; stderr: {Stderr}");
        Assert.Equal("", Stdout);
        var lines = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected one stderr line, got {lines.Length}: {Stderr}");
        string line = lines[0].TrimEnd('\r');
        Assert.StartsWith("elmo: ", line);
        foreach (string word in words) Assert.Contains(word, line);
        return line;
    }

    /// <summary>
    /// Asserts success with nothing on stderr but the command's one-line summary (<c>COMMAND: ..., N.NN s...</c>; none
    /// after help or with --quiet).
    /// </summary>
    public CliResult AssertOk()
    {
        Assert.True(ExitCode == 0, $"exit code {ExitCode}; stderr: {Stderr}");
        if (Stderr.Length == 0) return this;
        var lines = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, $"expected at most the summary line on stderr, got: {Stderr}");
        Assert.Matches($@"^{System.Text.RegularExpressions.Regex.Escape(Command)}: .*, [0-9]+\.[0-9]{{2}} s(, [0-9]+ [a-z]+/s)?( -> .+)?\r?$", lines[0]);
        return this;
    }

    /// <summary>The summary line on stderr (asserting success and that there is one).</summary>
    public string Summary
    {
        get
        {
            AssertOk();
            Assert.NotEqual("", Stderr);
            return Stderr.TrimEnd();
        }
    }
}
