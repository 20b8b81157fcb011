using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace ElmoNative.Tests.Reliability;

/// <summary>A test that needs Linux (file identities through stat, FIFOs, POSIX signals); skipped elsewhere with the reason.</summary>
public sealed class LinuxFactAttribute : FactAttribute
{
    public LinuxFactAttribute()
    {
        if (!OperatingSystem.IsLinux()) Skip = "needs Linux (stat, FIFOs, POSIX signals, /proc)";
    }
}

/// <summary>
/// A test that mounts small file systems (tmpfs) or makes device nodes: it needs Linux, root and the permission to
/// mount (a container may withhold it); skipped otherwise, with the reason.
/// </summary>
public sealed class MountFactAttribute : FactAttribute
{
    /// <summary>Why mounting is not possible here, or null when it is.</summary>
    public static string? Unavailable { get; } = Probe();

    public MountFactAttribute()
    {
        if (Unavailable is { } reason) Skip = reason;
    }

    private static string? Probe()
    {
        if (!OperatingSystem.IsLinux()) return "needs Linux (tmpfs mounts, device nodes)";
        if (Environment.UserName != "root") return "needs root to mount a tmpfs and make device nodes (run as root, e.g. in CI's container)";
        string directory = Directory.CreateTempSubdirectory("elmo-mount-probe-").FullName;
        try
        {
            var (code, output) = Native.Run("mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", directory);
            if (code != 0) return $"mounting a tmpfs is not permitted here (mount: {output.Trim()})";
            Native.Run("umount", directory);
            return null;
        }
        finally
        {
            Directory.Delete(directory);
        }
    }
}

/// <summary>System calls and commands the tests need.</summary>
internal static class Native
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    /// <summary>Sends <paramref name="signal"/> to process <paramref name="pid"/>.</summary>
    public static void Kill(int pid, int signal) => Assert.Equal(0, KillProcess(pid, signal));

    /// <summary>Makes a named pipe.</summary>
    public static void MakeFifo(string path) => Assert.Equal(0, Run("mkfifo", path).Code);

    /// <summary>Makes a character device node like /dev/null (1, 3).</summary>
    public static void MakeNullDevice(string path) => Assert.Equal(0, Run("mknod", path, "c", "1", "3").Code);

    /// <summary>Runs a command to its end; its exit code and its stdout and stderr together.</summary>
    public static (int Code, string Output) Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(60_000), $"{file} {string.Join(' ', args)} did not finish in 60 s");
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    /// <summary>The file type letter of <c>stat -c %F</c> (e.g. "character special file", "fifo", "symbolic link").</summary>
    public static string FileType(string path) => Run("stat", "-c", "%F", path).Output.Trim();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int KillProcess(int pid, int signal);
}

/// <summary>A folder for one test, deleted (with anything mounted in it unmounted first) on dispose.</summary>
internal sealed class Scratch : IDisposable
{
    private readonly List<string> mounts = [];

    public Scratch() => Root = Directory.CreateTempSubdirectory("elmo-reliability-").FullName;

    public string Root { get; }

    public string PathOf(string name) => Path.Combine(Root, name);

    public string Write(string name, string text)
    {
        string path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    public string Folder(string name) => Directory.CreateDirectory(PathOf(name)).FullName;

    /// <summary>A tmpfs of <paramref name="size"/> (mount's size option: 64k, 1m) at a new folder <paramref name="name"/>.</summary>
    public string MountTmpfs(string name, string size)
    {
        string path = Folder(name);
        var (code, output) = Native.Run("mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path);
        Assert.True(code == 0, $"mount failed: {output}");
        mounts.Add(path);
        return path;
    }

    /// <summary>Remounts a tmpfs of <see cref="MountTmpfs"/> read-only.</summary>
    public static void RemountReadOnly(string path)
    {
        var (code, output) = Native.Run("mount", "-o", "remount,ro", path);
        Assert.True(code == 0, $"remount failed: {output}");
    }

    public void Dispose()
    {
        foreach (string mount in mounts) Native.Run("umount", "-l", mount);
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Inputs for the tests, generated from a seed (the fixture model's vocabulary does not matter: characters are embedded).</summary>
internal static class Inputs
{
    private static readonly string[] Words = ["the", "cat", "sat", "on", "a", "mat", "while", "dogs", "ran", "far", "away", "Éire", "naïve"];

    /// <summary><paramref name="lines"/> sentences of 3 to 15 words.</summary>
    public static string Sentences(int lines, int seed = 1)
    {
        var random = new Random(seed);
        var text = new StringBuilder();
        for (int i = 0; i < lines; i++)
        {
            int n = random.Next(3, 16);
            for (int k = 0; k < n; k++) text.Append(k == 0 ? "" : " ").Append(Words[random.Next(Words.Length)]);
            text.Append('\n');
        }
        return text.ToString();
    }

    /// <summary>The temporary files (ours: dot-names ending in .tmp) in <paramref name="directory"/>.</summary>
    public static string[] TemporaryFiles(string directory) =>
        [.. Directory.EnumerateFiles(directory, ".*.tmp").Select(Path.GetFileName).Order(StringComparer.Ordinal)!];
}

/// <summary>
/// The built <c>elmo</c> (elmo.dll beside the tests) as a child process: its stdin a pipe the test writes, its stdout
/// kept as bytes, its stderr as text. Killed (with its children) on dispose if still running.
/// </summary>
internal sealed class ElmoProcess : IDisposable
{
    private readonly Process process;
    private readonly MemoryStream stdout = new();
    private readonly Task copyStdout;
    private readonly Task<string> stderr;

    private ElmoProcess(Process process)
    {
        this.process = process;
        copyStdout = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        stderr = process.StandardError.ReadToEndAsync();
    }

    /// <summary>The child's pid.</summary>
    public int Id => process.Id;

    /// <summary>Whether it has ended.</summary>
    public bool HasExited => process.HasExited;

    /// <summary>Its stdin (UTF-8, no BOM).</summary>
    public StreamWriter Input => process.StandardInput;

    /// <summary>
    /// Starts <c>dotnet elmo.dll ARGS</c> in <paramref name="workingDirectory"/>; <paramref name="environment"/> adds
    /// variables (DOTNET_GCHeapHardLimit).
    /// </summary>
    public static ElmoProcess Start(string workingDirectory, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "elmo.dll");
        Assert.True(File.Exists(dll), $"the built CLI is missing: {dll}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(dll);
        foreach (string a in args) start.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        return new ElmoProcess(Process.Start(start)!);
    }

    /// <summary>Runs to the end with stdin closed at once; fails after <paramref name="seconds"/>.</summary>
    public static (int ExitCode, byte[] Stdout, string Stderr) Run(string workingDirectory, IReadOnlyDictionary<string, string>? environment, int seconds,
                                                                   params string[] args)
    {
        using var child = Start(workingDirectory, environment, args);
        child.Input.Close();
        return child.WaitForExit(seconds);
    }

    /// <summary>Waits for the end (failing after <paramref name="seconds"/>): exit code, stdout bytes, stderr text.</summary>
    public (int ExitCode, byte[] Stdout, string Stderr) WaitForExit(int seconds)
    {
        if (!process.WaitForExit(TimeSpan.FromSeconds(seconds)))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            Assert.Fail($"elmo did not finish within {seconds} s; killed. stderr: {stderr.Result}");
        }
        process.WaitForExit(); // the readers drained
        copyStdout.Wait();
        return (process.ExitCode, stdout.ToArray(), stderr.Result);
    }

    /// <summary>Polls (every 20 ms, at most <paramref name="seconds"/>) until <paramref name="condition"/> holds; fails with what it waited for otherwise.</summary>
    public void WaitUntil(Func<bool> condition, string what, int seconds = 60)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (process.HasExited) Assert.Fail($"elmo ended (exit {process.ExitCode}) before {what}: {stderr.Result}");
            if (clock.Elapsed.TotalSeconds > seconds) Assert.Fail($"waited {seconds} s for {what}");
            Thread.Sleep(20);
        }
    }

    public void Dispose()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
            }
        }
        catch (InvalidOperationException)
        {
        }
        process.Dispose();
        stdout.Dispose();
    }
}
