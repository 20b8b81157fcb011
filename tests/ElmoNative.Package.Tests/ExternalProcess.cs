using System.Diagnostics;
using System.Text;

namespace ElmoNative.Package.Tests;

/// <summary>The result of a finished external process: its command line, exit code and both outputs.</summary>
public sealed record ProcessResult(string CommandLine, string WorkingDirectory, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Everything about the run, for an assertion message.</summary>
    public string Describe() =>
        $"`{CommandLine}` in {WorkingDirectory} exited with {ExitCode}\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}";

    /// <summary>Fails the test with <see cref="Describe"/> unless the exit code is 0.</summary>
    public ProcessResult AssertSuccess()
    {
        Assert.True(ExitCode == 0, Describe());
        return this;
    }
}

/// <summary>
/// Runs programs (dotnet, the installed tool, the consuming app) with a timeout, their outputs captured. The environment
/// is the test's, less what the test host and MSBuild set for themselves (a dotnet started from inside a build or a test
/// run would otherwise inherit them) and less ElmoNative's own variables (so the default model is found where a user's
/// program finds it); <see cref="Variables"/> are added on top.
/// </summary>
public sealed class ExternalProcess
{
    private static readonly string[] RemovedPrefixes = ["MSBUILD", "VSTEST", "TESTINGPLATFORM", "ELMONATIVE_", "NUGET_PACKAGES"];

    /// <summary>Variables set for every process started by this runner (null removes one).</summary>
    public Dictionary<string, string?> Variables { get; } = new()
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        ["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0",
        ["MSBUILDDISABLENODEREUSE"] = "1",
    };

    /// <summary>Runs <paramref name="fileName"/> to its end, or kills it (with its children) after <paramref name="timeout"/> and fails.</summary>
    public ProcessResult Run(string fileName, string workingDirectory, TimeSpan timeout, params string[] arguments)
    {
        var start = StartInfo(fileName, workingDirectory, arguments);
        string commandLine = string.Join(' ', new[] { fileName }.Concat(arguments.Select(a => a.Contains(' ') ? $"\"{a}\"" : a)));
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"`{commandLine}` in {workingDirectory} did not finish within {timeout.TotalSeconds:F0} s; killed\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}");
        }
        process.WaitForExit(); // drains the asynchronous readers
        return new ProcessResult(commandLine, workingDirectory, process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    /// <summary>
    /// Starts <paramref name="fileName"/> without waiting (a server: <c>elmo serve</c>), its streams redirected, with the
    /// runner's environment; the caller stops it.
    /// </summary>
    public Process Start(string fileName, string workingDirectory, params string[] arguments) =>
        Process.Start(StartInfo(fileName, workingDirectory, arguments))!;

    private ProcessStartInfo StartInfo(string fileName, string workingDirectory, string[] arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in arguments) start.ArgumentList.Add(argument);
        foreach (string key in start.Environment.Keys.ToList())
        {
            if (RemovedPrefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase))) start.Environment.Remove(key);
        }
        foreach (var (key, value) in Variables)
        {
            if (value is null) start.Environment.Remove(key);
            else start.Environment[key] = value;
        }
        return start;
    }

    /// <summary>Runs <c>dotnet</c> with the given arguments.</summary>
    public ProcessResult Dotnet(string workingDirectory, TimeSpan timeout, params string[] arguments) =>
        Run("dotnet", workingDirectory, timeout, arguments);
}
