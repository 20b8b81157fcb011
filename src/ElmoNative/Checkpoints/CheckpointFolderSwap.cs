using System.Diagnostics;
using System.Text.RegularExpressions;

namespace ElmoNative.Checkpoints;

/// <summary>
/// How a checkpoint folder <c>DIR</c> is replaced whole, and how a replacement cut short (the process killed) is finished
/// or rolled back (docs/training.md, "Interrupted saves"). The new checkpoint is written into the sibling
/// <c>.DIR.saving-PID-TAG</c>, its <see cref="CheckpointManifest"/> last; then <c>DIR</c> is renamed to
/// <c>.DIR.old-PID-TAG</c>, the new folder to <c>DIR</c>, and the old one deleted. PID is the writing process: the
/// temporary folders of a live process are never touched, those of a dead one are cleaned up by <see cref="Recover"/>.
/// </summary>
public static partial class CheckpointFolderSwap
{
    /// <summary>The points of <see cref="SwapIn"/> a test can stop the process at (docs/reliability.md).</summary>
    public static class Points
    {
        /// <summary>The new folder is complete, nothing is renamed yet.</summary>
        public const string Written = "written";

        /// <summary><c>DIR</c> is renamed to <c>.DIR.old-*</c>; there is no <c>DIR</c>.</summary>
        public const string FirstMove = "first-move";

        /// <summary>The new folder is <c>DIR</c>; the old one is not deleted yet.</summary>
        public const string SecondMove = "second-move";

        /// <summary>One file of the old folder is deleted.</summary>
        public const string Deleting = "deleting";
    }

    /// <summary>
    /// A new temporary folder beside <paramref name="directory"/> (not created): <c>.NAME.saving-PID-START-TAG</c>, START
    /// the process's start time (as in <see cref="AtomicFile"/>'s temporary names), so that a later process that reuses a
    /// dead saver's PID is not taken for it.
    /// </summary>
    public static string NewSavingPath(string directory)
    {
        var (parent, name) = Split(directory);
        return Path.Combine(parent, string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $".{name}.saving-{Environment.ProcessId}-{OwnStartTime}-{Guid.NewGuid().ToString("N")[..8]}"));
    }

    private static readonly long OwnStartTime = AtomicFile.ProcessStartTime(Environment.ProcessId) ?? 0;

    /// <summary>
    /// Swaps the complete folder <paramref name="saving"/> (from <see cref="NewSavingPath"/>) in for
    /// <paramref name="directory"/>; <paramref name="reached"/> is called at each of <see cref="Points"/>. On an exception
    /// the previous folder is put back when it is missing.
    /// </summary>
    public static void SwapIn(string saving, string directory, Action<string>? reached = null)
    {
        ArgumentNullException.ThrowIfNull(saving);
        ArgumentNullException.ThrowIfNull(directory);
        var (parent, name) = Split(directory);
        string full = Path.Combine(parent, name);
        string tag = Path.GetFileName(saving)[$".{name}.saving-".Length..];
        string old = Path.Combine(parent, $".{name}.old-{tag}");
        reached?.Invoke(Points.Written);
        if (!Directory.Exists(full))
        {
            Directory.Move(saving, full);
            reached?.Invoke(Points.SecondMove);
            return;
        }
        Directory.Move(full, old);
        try
        {
            reached?.Invoke(Points.FirstMove);
            Directory.Move(saving, full);
        }
        catch
        {
            if (!Directory.Exists(full) && Directory.Exists(old)) Directory.Move(old, full);
            throw;
        }
        reached?.Invoke(Points.SecondMove);
        string? first = Directory.EnumerateFiles(old).FirstOrDefault();
        if (first is not null)
        {
            File.Delete(first);
            reached?.Invoke(Points.Deleting);
        }
        TryDelete(old);
    }

    /// <summary>
    /// Finishes or rolls back a swap of <paramref name="directory"/> that a dead process left, and deletes the temporary
    /// folders of dead processes. When <paramref name="directory"/> is missing: a complete new folder (its manifest
    /// verifies) whose swap had begun is moved in, else the old folder is moved back, else a complete new folder of a
    /// first save is moved in. Does nothing when there is nothing to do; folders of live processes are left alone.
    /// </summary>
    /// <exception cref="IOException">The folder is missing and could not be restored (the message says from what).</exception>
    public static void Recover(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (IsRoot(directory)) return;
        var (parent, name) = Split(directory);
        if (!Directory.Exists(parent)) return;
        string full = Path.Combine(parent, name);
        var leftovers = new List<(string Path, bool Saving, string Tag)>();
        foreach (var (path, match) in Leftovers(parent, name))
        {
            if (Pid(match) is int pid && IsAlive(pid, StartTime(match))) continue;
            leftovers.Add((path, match.Groups["kind"].Value == "saving", match.Groups["tag"].Value));
        }
        if (leftovers.Count == 0) return;
        if (!Directory.Exists(full))
        {
            var olds = leftovers.Where(l => !l.Saving).OrderByDescending(l => Directory.GetLastWriteTimeUtc(l.Path)).ToList();
            var complete = leftovers.Where(l => l.Saving && IsComplete(l.Path)).OrderByDescending(l => Directory.GetLastWriteTimeUtc(l.Path)).ToList();
            string? restore = complete.Where(s => olds.Any(o => o.Tag == s.Tag)).Select(s => s.Path).FirstOrDefault()
                ?? olds.Select(o => o.Path).FirstOrDefault()
                ?? complete.Select(s => s.Path).FirstOrDefault();
            if (restore is not null)
            {
                try
                {
                    Directory.Move(restore, full);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    if (!Directory.Exists(full)) // another process may have restored it meanwhile
                        throw new IOException($"{directory}: an interrupted checkpoint save left {restore}, which could not be moved back ({e.Message})", e);
                }
                leftovers.RemoveAll(l => l.Path == restore);
            }
        }
        foreach (var leftover in leftovers) TryDelete(leftover.Path);
    }

    /// <summary>The live process saving <paramref name="directory"/> just now (a temporary folder of it exists), or null.</summary>
    public static int? LiveSaver(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (IsRoot(directory)) return null;
        var (parent, name) = Split(directory);
        if (!Directory.Exists(parent)) return null;
        foreach (var (_, match) in Leftovers(parent, name))
        {
            if (Pid(match) is int pid && pid != Environment.ProcessId && IsAlive(pid, StartTime(match))) return pid;
        }
        return null;
    }

    /// <summary>The temporary folders of <paramref name="name"/> in <paramref name="parent"/>, with their parsed names.</summary>
    private static IEnumerable<(string Path, Match Match)> Leftovers(string parent, string name)
    {
        string prefix = $".{name}.";
        foreach (string path in Directory.EnumerateDirectories(parent))
        {
            string entry = Path.GetFileName(path);
            if (!entry.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var match = LeftoverPattern().Match(entry[prefix.Length..]);
            if (match.Success) yield return (path, match);
        }
    }

    /// <summary>The PID in a temporary folder's name; null for a name without one (an earlier version's), 0 when out of range.</summary>
    private static int? Pid(Match match) =>
        !match.Groups["pid"].Success ? null
        : int.TryParse(match.Groups["pid"].Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int pid) ? pid : 0;

    private static bool IsComplete(string folder)
    {
        try
        {
            return CheckpointManifest.Exists(folder) && CheckpointManifest.Verify(folder).Count > 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>The start time in a temporary folder's name; 0 (any) for a name without one (an earlier version's).</summary>
    private static long StartTime(Match match) =>
        match.Groups["start"].Success && long.TryParse(match.Groups["start"].Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long start) ? start : 0;

    /// <summary>
    /// Whether process <paramref name="pid"/> runs and, where known (<paramref name="startTime"/> not 0, on Linux),
    /// started at <paramref name="startTime"/> (<see cref="AtomicFile.IsRunning"/>); this process counts as live: its
    /// own saves clean up after themselves.
    /// </summary>
    private static bool IsAlive(int pid, long startTime)
    {
        if (pid == Environment.ProcessId) return true;
        if (pid <= 0) return false;
        if (OperatingSystem.IsLinux()) return AtomicFile.IsRunning(pid, startTime);
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            return false;
        }
    }

    private static bool IsRoot(string directory) => Path.GetDirectoryName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar)) is null;

    private static (string Parent, string Name) Split(string directory)
    {
        string full = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        string parent = Path.GetDirectoryName(full) ?? throw new ArgumentException("a checkpoint folder cannot be the root directory", nameof(directory));
        return (parent, Path.GetFileName(full));
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }

    /// <summary>
    /// <c>saving-PID-START-TAG</c> / <c>old-PID-START-TAG</c>, or the <c>saving-PID-TAG</c> and <c>saving-TAG</c> of
    /// earlier versions (no start time: any process of that PID; no PID: dead). The tag of a pair is all after the kind.
    /// </summary>
    [GeneratedRegex("^(?<kind>saving|old)-(?<tag>(?:(?<pid>[0-9]{1,10})-(?:(?<start>[0-9]{1,20})-)?)?[0-9a-f]{8})$", RegexOptions.CultureInvariant)]
    private static partial Regex LeftoverPattern();
}
