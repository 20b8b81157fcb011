using System.Runtime.InteropServices;

namespace ElmoNative.Checkpoints;

/// <summary>
/// Opens the files of a checkpoint only when they are regular files (docs/formats.md, "Checks on load"): a FIFO
/// would block the open (or the read) forever, <c>/dev/zero</c> and <c>/dev/urandom</c> never end, a directory is not a
/// file. On Unix the type is checked before opening (with <c>stat</c>, following symbolic links; a link loop is an
/// error) and again on the open handle (<c>fstat</c>), so a file swapped between the two checks is caught as well; only a
/// FIFO swapped in at that very moment could still block the open. Every error names the path.
/// </summary>
internal static class RegularFile
{
    /// <summary>Opens <paramref name="path"/> for reading (shared read) after checking that it is a regular file.</summary>
    /// <param name="path">The file.</param>
    /// <param name="what">What the file is, for messages ("options file", "weights file").</param>
    /// <exception cref="FileNotFoundException">It does not exist.</exception>
    /// <exception cref="InvalidDataException">It is not a regular file, or cannot be opened.</exception>
    public static FileStream OpenRead(string path, string what)
    {
        CheckType(path, what, Status(path, what, handle: null));
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 4096, FileOptions.None);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"{path}: {what} not found", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot open the {what} ({ErrorText.OneLine(e.Message)})", e);
        }
        try
        {
            CheckType(path, what, Status(path, what, stream.SafeFileHandle));
            return stream;
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads the whole regular file <paramref name="path"/>, refusing it when it holds more than
    /// <paramref name="maxBytes"/> bytes (checked on the size and while reading, so a file that grows is refused too).
    /// </summary>
    /// <exception cref="InvalidDataException">Too large, not a regular file, or unreadable.</exception>
    public static byte[] ReadAllBytes(string path, string what, int maxBytes)
    {
        using var stream = OpenRead(path, what);
        try
        {
            long length = stream.Length;
            if (length > maxBytes) throw TooLarge(path, what, maxBytes);
            var buffer = new byte[(int)length + 1];
            int total = 0;
            while (true)
            {
                if (total == buffer.Length)
                {
                    if (buffer.Length > maxBytes) throw TooLarge(path, what, maxBytes);
                    Array.Resize(ref buffer, Math.Min(maxBytes + 1, buffer.Length * 2));
                }
                int read = stream.Read(buffer, total, buffer.Length - total);
                if (read == 0) break;
                total += read;
            }
            if (total > maxBytes) throw TooLarge(path, what, maxBytes);
            return buffer.AsSpan(0, total).ToArray();
        }
        catch (IOException e)
        {
            throw new InvalidDataException($"{path}: cannot read the {what} ({ErrorText.OneLine(e.Message)})", e);
        }
    }

    private static InvalidDataException TooLarge(string path, string what, int maxBytes) =>
        new($"{path}: the {what} is larger than {maxBytes:N0} bytes, the most an {what} may hold");

    /// <summary>File type bits of <c>st_mode</c> (S_IFMT) and the types named in messages.</summary>
    private const int TypeMask = 0xF000, Fifo = 0x1000, CharacterDevice = 0x2000, Directory = 0x4000, BlockDevice = 0x6000,
                      Regular = 0x8000, Socket = 0xC000;

    private static void CheckType(string path, string what, int? mode)
    {
        if (mode is not { } m) return;
        string? kind = (m & TypeMask) switch
        {
            Regular => null,
            Fifo => "a FIFO (named pipe)",
            CharacterDevice => "a character device",
            BlockDevice => "a block device",
            Directory => "a directory",
            Socket => "a socket",
            _ => "not a regular file",
        };
        if (kind is not null) throw new InvalidDataException($"{path}: the {what} is {kind}, not a regular file");
    }

    /// <summary>
    /// <c>st_mode</c> of the path (following links) or of the open handle; null where the platform has no such call
    /// (Windows, or a runtime without the native shim), where the open itself is then the only check.
    /// </summary>
    private static int? Status(string path, string what, Microsoft.Win32.SafeHandles.SafeFileHandle? handle)
    {
        if (OperatingSystem.IsWindows()) return null;
        var status = new byte[Native.StatusBytes];
        int result;
        try
        {
            if (handle is null)
            {
                result = Native.Stat(path, status);
            }
            else
            {
                bool added = false;
                try
                {
                    handle.DangerousAddRef(ref added);
                    result = Native.FStat(handle.DangerousGetHandle(), status);
                }
                finally
                {
                    if (added) handle.DangerousRelease();
                }
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
        if (result != 0)
        {
            int error = Marshal.GetLastPInvokeError();
            string reason = Marshal.GetPInvokeErrorMessage(error);
            if (error == Native.NoEntry) throw new FileNotFoundException($"{path}: {what} not found", path);
            if (error == Native.TooManyLinks) throw new InvalidDataException($"{path}: the {what} is a loop of symbolic links ({reason})");
            throw new InvalidDataException($"{path}: cannot open the {what} ({reason})");
        }
        return BitConverter.ToInt32(status, Native.ModeOffset);
    }

    /// <summary>
    /// The runtime's own POSIX shim (libSystem.Native, part of every .NET install on Unix): its <c>FileStatus</c> starts
    /// with <c>int32 Flags; int32 Mode</c> on every platform, so only the mode is read, from a buffer larger than the struct.
    /// </summary>
    private static class Native
    {
        public const int StatusBytes = 512, ModeOffset = 4, NoEntry = 2, TooManyLinks = 40;

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_Stat", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int Stat([MarshalAs(UnmanagedType.LPUTF8Str)] string path, byte[] status);

        [DllImport("libSystem.Native", EntryPoint = "SystemNative_FStat", SetLastError = true)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        public static extern int FStat(nint fd, byte[] status);
    }
}
