using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text.Unicode;

namespace ElmoNative.Text;

/// <summary>
/// Reads a text file line by line as strict UTF-8: an invalid byte is an <see cref="InvalidDataException"/> naming the
/// file and the 1-based line. Lines end with LF (a CR before it is dropped); a last line without LF counts; a UTF-8
/// byte order mark at the very start is skipped. The file is opened for reading only and never modified.
/// Shared by the command line (sentences to embed) and training (corpora, vocabularies).
/// </summary>
public sealed class Utf8LineReader : IDisposable
{
    private readonly Stream stream;
    private readonly bool leaveOpen;
    private readonly byte[] buffer = new byte[1 << 16];
    private byte[] line = new byte[256];
    private char[] chars = new char[256];
    private int start, end, lineLength;
    private bool endOfStream;

    /// <summary>
    /// Reads <paramref name="stream"/>; errors name it <paramref name="name"/>. The reader disposes the stream unless
    /// <paramref name="leaveOpen"/> (e.g. for stdin).
    /// </summary>
    public Utf8LineReader(Stream stream, string name, bool leaveOpen = false)
    {
        this.stream = stream;
        this.leaveOpen = leaveOpen;
        Path = name;
    }

    /// <summary>
    /// Reads <paramref name="stream"/>, a part of a larger file that starts after its first <paramref name="linesBefore"/>
    /// lines (a shard, docs/scale-out.md): line numbers count on from there, and a byte order mark is skipped only at the
    /// file's very start.
    /// </summary>
    internal Utf8LineReader(Stream stream, string name, int linesBefore)
        : this(stream, name)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(linesBefore);
        LineNumber = linesBefore;
    }

    /// <summary>Opens <paramref name="path"/>; a missing or unreadable file is a <see cref="FileNotFoundException"/> naming it.</summary>
    public Utf8LineReader(string path, string what = "file")
    {
        Path = path;
        if (Directory.Exists(path)) throw new FileNotFoundException($"{path}: {what} is a directory, not a file", path);
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"{path}: {what} not found", path, e);
        }
        catch (DirectoryNotFoundException e)
        {
            throw new FileNotFoundException($"{path}: {what} not found", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileNotFoundException($"{path}: cannot read {what} ({e.Message})", path, e);
        }
    }

    /// <summary>The file as given (or the name of the stream), as errors name it.</summary>
    public string Path { get; }

    /// <summary>The default of <see cref="MaxLineBytes"/>: 1 MiB.</summary>
    public const int DefaultMaxLineBytes = 1 << 20;

    /// <summary>
    /// The longest line read, in bytes: a longer one (or a stream without line ends, such as <c>/dev/zero</c>) is an
    /// <see cref="InvalidDataException"/> naming the file and line instead of memory growing without bound.
    /// </summary>
    public int MaxLineBytes { get; set; } = DefaultMaxLineBytes;

    /// <summary>1-based number of the last line returned.</summary>
    public int LineNumber { get; private set; }

    /// <summary>The next line, or false at the end of the file.</summary>
    public bool TryRead([NotNullWhen(true)] out string? text)
    {
        if (!TryReadChars(out var chars))
        {
            text = null;
            return false;
        }
        text = new string(chars);
        return true;
    }

    /// <summary>
    /// The next line as characters in the reader's own buffer, valid until the next read (no string allocated: what a
    /// long stream reads), or false at the end of the file.
    /// </summary>
    public bool TryReadChars(out ReadOnlySpan<char> text)
    {
        lineLength = 0;
        bool any = false;
        while (true)
        {
            if (start < end)
            {
                any = true;
                var available = buffer.AsSpan(start, end - start);
                int newline = available.IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    Append(available[..newline]);
                    start += newline + 1;
                    text = Decode();
                    return true;
                }
                Append(available);
                start = end = 0;
            }
            if (endOfStream)
            {
                text = any ? Decode() : default;
                return any;
            }
            int read;
            try
            {
                read = stream.Read(buffer, 0, buffer.Length);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"{Path}:{LineNumber + 1}: read error ({e.Message})", e);
            }
            if (read == 0) endOfStream = true;
            start = 0;
            end = read;
        }
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if ((long)lineLength + bytes.Length > MaxLineBytes + 1L) throw LineTooLong(LineNumber + 1); // + 1: a CR before the LF
        if (lineLength + bytes.Length > line.Length) Array.Resize(ref line, Math.Max(line.Length * 2, lineLength + bytes.Length));
        bytes.CopyTo(line.AsSpan(lineLength));
        lineLength += bytes.Length;
    }

    private InvalidDataException LineTooLong(int line) => new(string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Path}:{line}: line longer than {MaxLineBytes:N0} bytes (no line end found within them)"));

    private ReadOnlySpan<char> Decode()
    {
        LineNumber++;
        var bytes = line.AsSpan(0, lineLength);
        if (bytes.EndsWith((byte)'\r')) bytes = bytes[..^1];
        if (bytes.Length > MaxLineBytes) throw LineTooLong(LineNumber);
        if (LineNumber == 1 && bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        if (chars.Length < bytes.Length) chars = new char[Math.Max(bytes.Length, chars.Length * 2)];
        var status = Utf8.ToUtf16(bytes, chars, out int bytesRead, out int charsWritten, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
            throw new InvalidDataException($"{Path}:{LineNumber}: invalid UTF-8 (byte 0x{bytes[bytesRead]:X2} at byte {bytesRead + 1} of the line)");
        return chars.AsSpan(0, charsWritten);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (!leaveOpen) stream.Dispose();
    }
}
