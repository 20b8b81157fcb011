using ElmoNative.Checkpoints;
using ElmoNative.Output;

namespace ElmoNative.Tests.Reliability;

/// <summary>
/// The pieces under docs/reliability.md's promises: file identity through links (<see cref="FileNode"/>) and the owner
/// of a temporary file (<see cref="AtomicFile.RemoveStaleTemporaryFiles"/>: dead runs' files go, live runs' stay).
/// </summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    [LinuxFact]
    public void FileIdentityFollowsEveryLink()
    {
        string d = scratch.Folder("d");
        string file = scratch.Write("d/file.txt", "x");
        string other = scratch.Write("d/other.txt", "x");
        File.CreateSymbolicLink(scratch.PathOf("L"), d);
        File.CreateSymbolicLink(scratch.PathOf("link.txt"), "L/file.txt"); // a link through a linked folder
        Assert.Equal(0, Native.Run("ln", file, scratch.PathOf("hard.txt")).Code);

        Assert.True(FileNode.Same(file, scratch.PathOf("L/file.txt")));
        Assert.True(FileNode.Same(file, scratch.PathOf("link.txt")));
        Assert.True(FileNode.Same(scratch.PathOf("hard.txt"), scratch.PathOf("link.txt")));
        Assert.True(FileNode.Same(file, Path.Combine(d, "..", "d", ".", "file.txt")));
        Assert.False(FileNode.Same(file, other)); // same bytes, another file
        Assert.False(FileNode.Same(file, scratch.PathOf("missing.txt")));

        Assert.Equal(FileNodeKind.Regular, FileNode.Of(scratch.PathOf("link.txt")).Kind);
        Assert.Equal(FileNodeKind.Directory, FileNode.Of(scratch.PathOf("L")).Kind);
        Assert.Equal(FileNodeKind.Missing, FileNode.Of(scratch.PathOf("missing.txt")).Kind);
        Assert.Equal(FileNodeKind.CharacterDevice, FileNode.Of("/dev/null").Kind);
        Native.MakeFifo(scratch.PathOf("fifo"));
        Assert.Equal(FileNodeKind.Fifo, FileNode.Of(scratch.PathOf("fifo")).Kind);

        Assert.Equal(file, FileNode.RealPath(scratch.PathOf("link.txt")));
        Assert.Equal(d, FileNode.RealPath(scratch.PathOf("L")));
        Assert.Null(FileNode.RealPath(scratch.PathOf("missing.txt")));

        Assert.True(FileNode.IsDescriptorPath("/dev/stdout"));
        Assert.True(FileNode.IsDescriptorPath("/proc/self/fd/2"));
        Assert.False(FileNode.IsDescriptorPath(scratch.PathOf("link.txt")));
    }

    [LinuxFact]
    public void StaleTemporaryFilesOfDeadRunsGoAndAllOthersStay()
    {
        string own = AtomicFile.TemporaryPathFor(scratch.PathOf("out.hdf5"));
        // .out.hdf5.PID-START-NS-RANDOM.tmp
        string[] owner = Path.GetFileName(own)[".out.hdf5.".Length..^".tmp".Length].Split('-');
        int pid = Environment.ProcessId;
        long start = AtomicFile.ProcessStartTime(pid)!.Value;
        Assert.Equal([pid.ToString(), start.ToString(), owner[2]], owner[..3]);
        string ns = owner[2];

        int deadPid;
        using (var process = System.Diagnostics.Process.Start("true")!)
        {
            deadPid = process.Id;
            process.WaitForExit();
        }

        string[] stale =
        [
            $".out.hdf5.{deadPid}-{start}-{ns}-0123abcd.tmp", // a dead process
            $".out.hdf5.{deadPid}-{start}-{ns}-0123abcd.tmp.index.tmp", // its writer's spill file
            $".out.hdf5.{pid}-{start + 1}-{ns}-4567cdef.tmp", // this pid, but another process (reused pid)
        ];
        string[] kept =
        [
            Path.GetFileName(own), // this live process
            $".out.hdf5.{pid}-{start}-{ns}1-89abcdef.tmp", // another pid namespace: cannot tell
            ".out.hdf5.0123abcd.tmp", // the format before owners: cannot tell
            ".notes.tmp", // not ours
            "out.hdf5",
        ];
        foreach (string name in stale.Concat(kept)) File.WriteAllText(scratch.PathOf(name), "x");

        Assert.Equal(stale.Length, AtomicFile.RemoveStaleTemporaryFiles(scratch.Root));
        Assert.Equal(kept.Order(StringComparer.Ordinal), Directory.GetFiles(scratch.Root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(0, AtomicFile.RemoveStaleTemporaryFiles(scratch.PathOf("no such folder")));
    }

    [Fact]
    public void AFailedWriteLeavesNothingAndNamesTheOutput()
    {
        string output = scratch.PathOf("out.txt");
        var e = Assert.Throws<IOException>(() => AtomicFile.Write(output, temp =>
        {
            File.WriteAllText(temp, "partial");
            throw new IOException($"disk trouble at {temp}.index.tmp");
        }));
        Assert.Equal($"disk trouble at {output}", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(scratch.Root));
    }
}
