using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ElmoNative.Output;

/// <summary>What kind of file system object a path names (after following every symbolic link).</summary>
internal enum FileNodeKind
{
    /// <summary>Nothing (or a dangling link).</summary>
    Missing,

    /// <summary>A regular file: the only kind written through a temporary file and a rename (docs/reliability.md).</summary>
    Regular,

    /// <summary>A directory.</summary>
    Directory,

    /// <summary>A character device (<c>/dev/null</c>, a terminal).</summary>
    CharacterDevice,

    /// <summary>A block device.</summary>
    BlockDevice,

    /// <summary>A named pipe.</summary>
    Fifo,

    /// <summary>A socket.</summary>
    Socket,
}

/// <summary>
/// The identity (device and inode) and kind of the file a path names, every symbolic link followed (in the path's
/// folders too): two paths name the same file exactly when their identities are equal, whatever links or hard links
/// lead to it (docs/reliability.md). Read with the C library's <c>stat</c> on Linux (x64 and arm64 layouts); elsewhere
/// the identity is unknown (<see cref="HasIdentity"/> false) and <see cref="Same"/> compares full paths.
/// </summary>
/// <param name="Kind">What the path names.</param>
/// <param name="Device">The device holding it (<c>st_dev</c>).</param>
/// <param name="Inode">Its inode number (<c>st_ino</c>).</param>
/// <param name="HasIdentity">Whether <paramref name="Device"/> and <paramref name="Inode"/> are known.</param>
internal readonly record struct FileNode(FileNodeKind Kind, ulong Device, ulong Inode, bool HasIdentity)
{
    // struct stat of the Linux kernel ABI: st_dev at 0 and st_ino at 8 on both; st_mode at 24 on x64 (after the 8-byte
    // st_nlink), at 16 on arm64 (the generic layout). The buffer is larger than either struct (144 and 128 bytes).
    private const int StatBufferSize = 256;
    private const uint TypeMask = 0xF000;

    private static readonly int? ModeOffset = OperatingSystem.IsLinux()
        ? RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => 24,
            Architecture.Arm64 => 16,
            _ => null,
        }
        : null;

    /// <summary>Whether the C library's stat can be called here (checked once, on the root folder).</summary>
    private static bool StatWorks { get; } = ModeOffset is not null && CanStat();

    /// <summary>Whether the path names something (a file, folder, device...).</summary>
    public bool Exists => Kind != FileNodeKind.Missing;

    /// <summary>The node <paramref name="path"/> names, links followed; <see cref="FileNodeKind.Missing"/> when nothing is there.</summary>
    public static FileNode Of(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (StatWorks && ModeOffset is int modeOffset && TryStat(path, out byte[] buffer))
        {
            ulong device = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(0));
            ulong inode = BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(8));
            uint mode = BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(modeOffset));
            var kind = (mode & TypeMask) switch
            {
                0x8000 => FileNodeKind.Regular,
                0x4000 => FileNodeKind.Directory,
                0x2000 => FileNodeKind.CharacterDevice,
                0x6000 => FileNodeKind.BlockDevice,
                0x1000 => FileNodeKind.Fifo,
                0xC000 => FileNodeKind.Socket,
                _ => FileNodeKind.Regular,
            };
            return new FileNode(kind, device, inode, HasIdentity: true);
        }
        if (StatWorks && ModeOffset is not null) return new FileNode(FileNodeKind.Missing, 0, 0, HasIdentity: false);
        // Without stat: what .NET can tell (devices and pipes look like files).
        if (Directory.Exists(path)) return new FileNode(FileNodeKind.Directory, 0, 0, HasIdentity: false);
        return new FileNode(File.Exists(path) ? FileNodeKind.Regular : FileNodeKind.Missing, 0, 0, HasIdentity: false);
    }

    /// <summary>
    /// Whether <paramref name="path"/> names an open file descriptor rather than a file: it is under <c>/proc/</c> or
    /// <c>/dev/fd/</c>, or is a symbolic link leading there (<c>/dev/stdout</c> -> <c>/proc/self/fd/1</c>). Such a path is
    /// written into, never replaced, whatever it leads to (a pipe, a terminal, or the file a shell redirected to).
    /// </summary>
    public static bool IsDescriptorPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!OperatingSystem.IsLinux()) return false;
        string current = Path.GetFullPath(path);
        for (int hop = 0; hop < 40; hop++)
        {
            if (current.StartsWith("/proc/", StringComparison.Ordinal) || current.StartsWith("/dev/fd/", StringComparison.Ordinal)) return true;
            string? link;
            try
            {
                link = new FileInfo(current).LinkTarget;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                return false;
            }
            if (link is null) return false;
            current = Path.GetFullPath(link, Path.GetDirectoryName(current) ?? "/");
        }
        return false;
    }

    /// <summary>
    /// The absolute path of <paramref name="path"/> with every symbolic link resolved (in its folders too), as the C
    /// library's <c>realpath</c> gives it; null when it does not exist. Without it (not Linux): the full path.
    /// </summary>
    public static string? RealPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!StatWorks) return Path.Exists(path) ? Path.GetFullPath(path) : null;
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal)) return null;
        var buffer = new byte[4096]; // PATH_MAX
        if (ResolvePath(path, buffer) == IntPtr.Zero) return null;
        int end = Array.IndexOf(buffer, (byte)0);
        return System.Text.Encoding.UTF8.GetString(buffer, 0, end < 0 ? buffer.Length : end);
    }

    /// <summary>
    /// Whether <paramref name="a"/> and <paramref name="b"/> name the same existing file (same device and inode); where
    /// identities are unknown, whether their full paths are equal.
    /// </summary>
    public static bool Same(string a, string b)
    {
        var first = Of(a);
        if (first.HasIdentity)
        {
            var second = Of(b);
            return second.HasIdentity && first.Device == second.Device && first.Inode == second.Inode;
        }
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        return string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), comparison);
    }

    private static bool CanStat()
    {
        try
        {
            return TryStat("/", out _);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static bool TryStat(string path, out byte[] buffer)
    {
        buffer = new byte[StatBufferSize];
        if (path.Length == 0 || path.Contains('\0', StringComparison.Ordinal)) return false;
        try
        {
            return Stat(path, buffer) == 0;
        }
        catch (EntryPointNotFoundException)
        {
            // glibc before 2.33 exports stat only as __xstat (version 1 on x64, 0 on arm64).
            return XStat(RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 1 : 0, path, buffer) == 0;
        }
    }

    [DllImport("libc", EntryPoint = "stat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] buffer);

    [DllImport("libc", EntryPoint = "realpath", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern IntPtr ResolvePath([MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] resolved);

    [DllImport("libc", EntryPoint = "__xstat", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int XStat(int version, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, [Out] byte[] buffer);
}
