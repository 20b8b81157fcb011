using ElmoNative.Checkpoints;
using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests.Hostile;

/// <summary>
/// An options or weights path that is no regular file: a FIFO (whose open blocks until a writer comes), /dev/zero and
/// /dev/urandom (endless), a directory, a loop of symbolic links. Before, a FIFO or /dev/urandom hung and /dev/zero ended
/// in "Out of memory."; now each is refused before it is read, with one line naming the path.
/// </summary>
[Collection(CliCollection.Name)]
public class SpecialFileTests
{
    public static TheoryData<string> Kinds => new() { "fifo", "/dev/zero", "/dev/urandom", "directory", "link loop", "link to /dev/zero" };

    /// <summary>A special file of <paramref name="kind"/> in <paramref name="dir"/>; null where the system has none.</summary>
    internal static string? Make(TempDirectory dir, string kind, string name)
    {
        switch (kind)
        {
            case "fifo":
                string fifo = dir.File(name);
                return HostileFiles.TryMakeFifo(fifo) ? fifo : null;
            case "directory":
                return Directory.CreateDirectory(dir.File(name)).FullName;
            case "link loop":
                return OperatingSystem.IsWindows() ? null : HostileFiles.MakeLinkLoop(dir.Path, name);
            case "link to /dev/zero":
                if (!File.Exists("/dev/zero")) return null;
                string link = dir.File(name);
                File.CreateSymbolicLink(link, "/dev/zero");
                return link;
            default:
                return File.Exists(kind) ? kind : null;
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AnOptionsPathThatIsNoRegularFileIsRefused(string kind)
    {
        using var dir = new TempDirectory();
        string? path = Make(dir, kind, "options.json");
        if (path is null) return; // not on this system
        var e = HostileFiles.WithinTimeLimit(() => ElmoModel.Load(path, HostileFiles.FixtureWeights).Dispose(), 20, kind);
        HostileFiles.AssertCleanError(e, path, kind);
        Assert.IsType<InvalidDataException>(e);
        var cli = RunCli(["info", "--options", path, "--weights", HostileFiles.FixtureWeights], kind);
        cli.AssertError(1, path);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void AWeightsPathThatIsNoRegularFileIsRefused(string kind)
    {
        using var dir = new TempDirectory();
        string? path = Make(dir, kind, "weights.hdf5");
        if (path is null) return;
        var e = HostileFiles.WithinTimeLimit(() => ElmoModel.Load(HostileFiles.FixtureOptions, path).Dispose(), 20, kind);
        HostileFiles.AssertCleanError(e, path, kind);
        Assert.IsType<InvalidDataException>(e);
        var cli = RunCli(["info", "--options", HostileFiles.FixtureOptions, "--weights", path], kind);
        cli.AssertError(1, path);
    }

    [Fact]
    public void AModelFolderWithAFifoNamedLikeAnOptionsFileDoesNotHang()
    {
        // The "one options JSON" rule reads candidate *.json files: a FIFO among them is skipped, not opened.
        using var dir = new TempDirectory();
        File.Copy(HostileFiles.FixtureWeights, dir.File("weights.hdf5"));
        File.Copy(HostileFiles.FixtureOptions, dir.File("model.json"));
        if (!HostileFiles.TryMakeFifo(dir.File("pipe.json"))) return;
        ElmoModel? model = null;
        var e = HostileFiles.WithinTimeLimit(() => model = ElmoModel.LoadDirectory(dir.Path), 20, "folder with a FIFO");
        Assert.Null(e);
        using (model)
        {
            using var reference = ElmoModel.Load(HostileFiles.FixtureOptions, HostileFiles.FixtureWeights);
            Assert.True(Compare.BitIdentical(reference.Embed(HostileFiles.Sentence).Activations, model!.Embed(HostileFiles.Sentence).Activations));
        }
    }

    private static CliResult RunCli(string[] args, string what)
    {
        CliResult? result = null;
        var e = HostileFiles.WithinTimeLimit(() => result = CliResult.Run(args), 20, "elmo " + what);
        Assert.Null(e);
        return result!;
    }
}
