using System.Collections.Concurrent;
using System.Globalization;
using System.Text.RegularExpressions;
using ElmoNative.Output;

namespace ElmoNative.Checkpoints;

/// <summary>
/// Writes files whole or not at all (docs/reliability.md). A regular file (or a new one) is written through a temporary
/// name in its own folder and renamed over it at the end; the temporary file is deleted on any failure, and its name
/// carries its owner (<c>.NAME.PID-START-NS-RANDOM.tmp</c>: process id, process start time, pid namespace) so that a
/// later write into the same folder removes the leftovers of a run that was killed (SIGKILL) and never those of a live
/// one. A symbolic link is written through (its final target is replaced, the link stays). A device, named pipe or
/// socket (<c>/dev/null</c>, a FIFO) and a descriptor path (<c>/dev/stdout</c>, <c>/proc/self/fd/N</c>) are never
/// replaced: the content is written to a temporary file in the system's temporary folder (formats such as HDF5 need to
/// seek) and then copied into it.
/// </summary>
public static partial class AtomicFile
{
    private const int CopyBufferSize = 1 << 16;

    /// <summary>The owner part of this process's temporary names: <c>PID-START-NS</c>.</summary>
    private static readonly string OwnerTag = string.Create(CultureInfo.InvariantCulture,
        $"{Environment.ProcessId}-{ProcessStartTime(Environment.ProcessId) ?? 0}-{PidNamespace() ?? 0}");

    /// <summary>The temporary files of the writes running in this process.</summary>
    private static readonly ConcurrentDictionary<string, byte> Active = new(StringComparer.Ordinal);

    /// <summary>
    /// Deletes the temporary files of the writes still running in this process, for a process that must end before they
    /// finish (<c>elmo</c> when a command does not stop in time after SIGTERM or Ctrl+C). Returns how many it deleted.
    /// </summary>
    internal static int DeleteActiveTemporaryFiles()
    {
        int deleted = 0;
        foreach (string temp in Active.Keys)
        {
            if (File.Exists(temp) && TryDelete(temp)) deleted++;
        }
        return deleted;
    }

    /// <summary>A temporary path beside <paramref name="path"/>, named after it and after this process.</summary>
    public static string TemporaryPathFor(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string full = Path.GetFullPath(path);
        string name = Path.GetFileName(full);
        if (name.Length > 100) name = name[..(char.IsHighSurrogate(name[99]) ? 99 : 100)]; // room for the suffix within 255 bytes
        return Path.Combine(Path.GetDirectoryName(full)!, $".{name}.{OwnerTag}-{Guid.NewGuid().ToString("N")[..8]}.tmp");
    }

    /// <summary>
    /// Runs <paramref name="write"/> on a temporary path, then puts the result at <paramref name="path"/>: renamed over a
    /// regular file (or a new name; a symbolic link's final target), copied into a device, FIFO or socket. The temporary
    /// file is deleted on failure (the exception then names <paramref name="path"/>, not the temporary name).
    /// </summary>
    public static void Write(string path, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(write);
        var node = FileNode.Of(path);
        switch (node.Kind)
        {
            case FileNodeKind.Directory:
                throw new IOException($"{path}: is a directory");
            case FileNodeKind.Regular or FileNodeKind.Missing when !FileNode.IsDescriptorPath(path):
                string target = node.Kind == FileNodeKind.Regular ? FinalTarget(path) : Path.GetFullPath(path);
                RemoveStaleTemporaryFiles(Path.GetDirectoryName(target)!);
                string temp = TemporaryPathFor(target);
                Active[temp] = 0;
                try
                {
                    write(temp);
                    File.Move(temp, target, overwrite: true);
                }
                catch (Exception e)
                {
                    TryDelete(temp);
                    if (Renamed(e, temp, path) is { } named) throw named;
                    throw;
                }
                finally
                {
                    Active.TryRemove(temp, out _);
                }
                break;
            default:
                WriteThrough(path, write);
                break;
        }
    }

    /// <summary>
    /// Runs <paramref name="write"/> on a temporary file in the system's temporary folder, then copies the file into
    /// <paramref name="destination"/> (standard output, for instance) and deletes it, also on failure.
    /// </summary>
    public static void WriteTo(Stream destination, Action<string> write)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(write);
        ThroughTemporaryFile(write, () => destination, dispose: false);
    }

    /// <summary>Writes text atomically.</summary>
    public static void WriteAllText(string path, string text) => Write(path, temp => File.WriteAllText(temp, text));

    /// <summary>
    /// Deletes the temporary files that <see cref="Write"/> left in <paramref name="directory"/> when its process was
    /// killed: those whose owner (process id and start time, in this pid namespace) is no longer running. Temporary files
    /// of live processes, of other pid namespaces and of unknown owners are kept. Linux only (elsewhere nothing is
    /// deleted); never throws. Returns the number of files deleted.
    /// </summary>
    public static int RemoveStaleTemporaryFiles(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!OperatingSystem.IsLinux()) return 0;
        int removed = 0;
        try
        {
            string ours = OwnerTag[(OwnerTag.LastIndexOf('-') + 1)..];
            foreach (string file in Directory.EnumerateFiles(directory, ".*.tmp"))
            {
                var match = TemporaryName().Match(Path.GetFileName(file));
                if (!match.Success || match.Groups["ns"].Value != ours) continue;
                if (!int.TryParse(match.Groups["pid"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
                if (!long.TryParse(match.Groups["start"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out long start)) continue;
                if (IsRunning(pid, start)) continue;
                if (TryDelete(file)) removed++;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // An unreadable folder: the write itself reports what is wrong with it.
        }
        return removed;
    }

    /// <summary>Whether process <paramref name="pid"/> runs and started at <paramref name="startTime"/> (0: unknown, any start).</summary>
    internal static bool IsRunning(int pid, long startTime)
    {
        string? stat = ReadProcStat(pid);
        if (stat is null) return false;
        var fields = StatFields(stat);
        if (fields.Length < 20 || fields[0] is "Z" or "X") return false; // a zombie's files are nobody's
        return startTime == 0 || fields[19] == startTime.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The start time of process <paramref name="pid"/> (clock ticks after boot, /proc/PID/stat field 22), or null.</summary>
    internal static long? ProcessStartTime(int pid)
    {
        string? stat = ReadProcStat(pid);
        if (stat is null) return null;
        var fields = StatFields(stat);
        return fields.Length >= 20 && long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out long start) ? start : null;
    }

    /// <summary>The fields of /proc/PID/stat after the command name (which may hold spaces and parentheses): field 3 first.</summary>
    private static string[] StatFields(string stat)
    {
        int close = stat.LastIndexOf(')');
        return close < 0 || close + 2 > stat.Length ? [] : stat[(close + 2)..].Split(' ');
    }

    private static string? ReadProcStat(int pid)
    {
        try
        {
            return OperatingSystem.IsLinux() ? File.ReadAllText(string.Create(CultureInfo.InvariantCulture, $"/proc/{pid}/stat")) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The inode of this process's pid namespace (<c>/proc/self/ns/pid</c> -> <c>pid:[N]</c>), or null.</summary>
    private static long? PidNamespace()
    {
        try
        {
            string? link = OperatingSystem.IsLinux() ? new FileInfo("/proc/self/ns/pid").LinkTarget : null;
            if (link is null) return null;
            var digits = link.Where(char.IsAsciiDigit).ToArray();
            return long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long ns) ? ns : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The file a symbolic link finally points to (the path itself when it is not a link).</summary>
    private static string FinalTarget(string path)
    {
        var info = new FileInfo(Path.GetFullPath(path));
        if (info.LinkTarget is null) return info.FullName;
        return info.ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? info.FullName;
    }

    /// <summary>Writes through a temporary file in the system's temporary folder, then copies it into the device or pipe <paramref name="path"/>.</summary>
    private static void WriteThrough(string path, Action<string> write)
    {
        try
        {
            ThroughTemporaryFile(write, () => OpenForAppend(path), dispose: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException && !e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new IOException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Opens an existing device, pipe or descriptor path for writing, never creating nor truncating; where it can seek
    /// (a file a shell redirected <c>/dev/stdout</c> to), at its end, as the shell's own <c>&gt;</c> or <c>&gt;&gt;</c> left it.
    /// </summary>
    private static FileStream OpenForAppend(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, bufferSize: 0);
        if (stream.CanSeek) stream.Seek(0, SeekOrigin.End);
        return stream;
    }

    /// <summary>
    /// Runs <paramref name="write"/> on a temporary file in the system's temporary folder, copies it into the stream
    /// <paramref name="open"/> gives (opened only then: a FIFO's writer waits for its reader), deletes it in any case.
    /// </summary>
    private static void ThroughTemporaryFile(Action<string> write, Func<Stream> open, bool dispose)
    {
        RemoveStaleTemporaryFiles(Path.GetTempPath());
        string temp = TemporaryPathFor(Path.Combine(Path.GetTempPath(), "elmo-output"));
        Active[temp] = 0;
        try
        {
            write(temp);
            var destination = open();
            try
            {
                using var source = new FileStream(temp, FileMode.Open, FileAccess.Read, FileShare.Read, CopyBufferSize, FileOptions.SequentialScan);
                source.CopyTo(destination, CopyBufferSize);
                destination.Flush();
            }
            finally
            {
                if (dispose) destination.Dispose();
            }
        }
        finally
        {
            TryDelete(temp);
            Active.TryRemove(temp, out _);
        }
    }

    /// <summary>The exception <paramref name="e"/> with the temporary name in its message replaced by <paramref name="path"/>, or null.</summary>
    private static Exception? Renamed(Exception e, string temp, string path)
    {
        if (!e.Message.Contains(temp, StringComparison.Ordinal)) return null;
        // The temporary name, or a writer's spill file beside it (EmbeddingFileWriter: TEMP.index.tmp), becomes the output's.
        string message = Regex.Replace(e.Message, Regex.Escape(temp) + @"(\.[a-z]+\.tmp)?", path.Replace("$", "$$", StringComparison.Ordinal), RegexOptions.CultureInvariant);
        return e switch
        {
            UnauthorizedAccessException => new UnauthorizedAccessException(message, e),
            IOException => new IOException(message, e),
            _ => null,
        };
    }

    private static bool TryDelete(string path)
    {
        try
        {
            File.Delete(path);
            return true;
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A temporary name of <see cref="TemporaryPathFor"/> (or of a spill file beside one: <c>....tmp.index.tmp</c>).</summary>
    [GeneratedRegex(@"^\..*\.(?<pid>[0-9]{1,10})-(?<start>[0-9]{1,20})-(?<ns>[0-9]{1,20})-[0-9a-f]{8}\.tmp(\.[a-z]+\.tmp)?$", RegexOptions.CultureInvariant)]
    private static partial Regex TemporaryName();
}
