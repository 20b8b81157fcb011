namespace ElmoNative.Tests.Reliability;

/// <summary>
/// Devices, FIFOs, descriptor paths and <c>-</c> are written into, never replaced by a renamed temporary file; the bytes
/// that reach them are those of a regular output file (docs/cli.md, "Outputs").
/// </summary>
[Collection(CliCollection.Name)]
public sealed class SpecialOutputTests : IDisposable
{
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    private (string Input, byte[] Reference) InputAndReference(int lines = 20)
    {
        string input = scratch.Write("in.txt", Inputs.Sentences(lines));
        string reference = scratch.PathOf("reference.hdf5");
        CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", reference, "--quiet"]).AssertOk();
        return (input, File.ReadAllBytes(reference));
    }

    /// <summary>This process's files in the system's temporary folder made to write through to a device (none must stay).</summary>
    private static string[] OwnSpoolFiles() =>
        [.. Directory.EnumerateFiles(Path.GetTempPath(), $".elmo-output.{Environment.ProcessId}-*.tmp")];

    [MountFact]
    public void ACharacterDeviceIsWrittenIntoAndStaysADevice()
    {
        var (input, _) = InputAndReference();
        string folder = scratch.Folder("dev");
        string device = Path.Combine(folder, "null");
        Native.MakeNullDevice(device);
        // No --force needed (nothing is replaced), and with --force still nothing is replaced.
        CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", device]).AssertOk();
        CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", device, "--force"]).AssertOk();
        CliResult.Run(["vocab", "--input", input, "--output", device, "--force"]).AssertOk();
        string vocab = scratch.Write("vocab.txt", "the\ncat\n");
        CliResult.Run(["token-embeddings", .. CliSandbox.FixtureModel, "--vocab", vocab, "--output", device, "--force"]).AssertOk();
        Assert.Equal("character special file", Native.FileType(device));
        Assert.Equal(["null"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName));
        Assert.Empty(OwnSpoolFiles());
    }

    [LinuxFact]
    public void AFifoGetsTheWholeFileAndStaysAFifo()
    {
        var (input, reference) = InputAndReference();
        string fifo = scratch.PathOf("pipe.hdf5");
        Native.MakeFifo(fifo);
        var reader = Task.Run(() => File.ReadAllBytes(fifo)); // blocks until the writer opens the pipe
        CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", fifo]).AssertOk();
        Assert.True(reader.Wait(TimeSpan.FromSeconds(60)), "the FIFO's reader did not get to the end");
        Assert.Equal(reference, reader.Result);
        Assert.Equal("fifo", Native.FileType(fifo));
        Assert.Empty(Inputs.TemporaryFiles(scratch.Root));
        Assert.Empty(OwnSpoolFiles());
    }

    [LinuxFact]
    public void DashWritesTheFileToStandardOutput()
    {
        var (input, reference) = InputAndReference();
        var (code, stdout, stderr) = ElmoProcess.Run(scratch.Root, null, 120, ["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", "-"]);
        Assert.True(code == 0, stderr);
        Assert.Equal(reference, stdout);
        Assert.StartsWith("embed: 20 sentences", stderr);
        Assert.Equal(["in.txt", "reference.hdf5"], Directory.GetFileSystemEntries(scratch.Root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [LinuxFact]
    public void ADescriptorPathLikeDevStdoutIsWrittenIntoNotReplaced()
    {
        // A link like /dev/stdout (-> /proc/self/fd/1), made in the test's folder: stdout a pipe, then a file a shell redirected to.
        var (input, reference) = InputAndReference();
        string stdoutLink = scratch.PathOf("stdout");
        File.CreateSymbolicLink(stdoutLink, "/proc/self/fd/1");
        var (code, stdout, stderr) = ElmoProcess.Run(scratch.Root, null, 120, ["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", stdoutLink]);
        Assert.True(code == 0, stderr);
        Assert.Equal(reference, stdout);
        Assert.Equal("/proc/self/fd/1", new FileInfo(stdoutLink).LinkTarget);

        string redirected = scratch.PathOf("redirected.hdf5");
        string dll = Path.Combine(AppContext.BaseDirectory, "elmo.dll");
        string model = string.Join(' ', CliSandbox.FixtureModel.Select(a => $"'{a}'"));
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
        var (shellCode, output) = Native.Run("/bin/sh", "-c", $"'{dotnet}' '{dll}' embed {model} --input '{input}' --output '{stdoutLink}' --quiet > '{redirected}'");
        Assert.True(shellCode == 0, output);
        Assert.Equal(reference, File.ReadAllBytes(redirected));
        Assert.Equal("/proc/self/fd/1", new FileInfo(stdoutLink).LinkTarget);
        Assert.Empty(Inputs.TemporaryFiles(scratch.Root));
    }
}
