using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;

namespace ElmoNative.Cli;

/// <summary>
/// A text input (a file or stdin) that can be read more than once, line by line, as strict UTF-8: an invalid byte is an
/// error naming the input and the 1-based line number. stdin is read into memory once, so that it can be read again.
/// </summary>
internal sealed class TextInput
{
    private readonly Func<Stream> open;

    private TextInput(string name, Func<Stream> open)
    {
        Name = name;
        this.open = open;
    }

    /// <summary>How errors name the input: the path as given, or <c>&lt;stdin&gt;</c>.</summary>
    public string Name { get; }

    /// <summary>
    /// A file, or stdin for <c>-</c>. When <paramref name="stdin"/> is a <see cref="StreamReader"/> its raw bytes are
    /// read (so invalid UTF-8 is caught with its line); any other reader is taken as already-decoded text.
    /// </summary>
    public static TextInput Open(string path, TextReader stdin, string what)
    {
        if (path == "-")
        {
            byte[] bytes;
            if (stdin is StreamReader reader)
            {
                using var buffer = new MemoryStream();
                reader.BaseStream.CopyTo(buffer);
                bytes = buffer.ToArray();
            }
            else
            {
                try
                {
                    bytes = new UTF8Encoding(false, throwOnInvalidBytes: true).GetBytes(stdin.ReadToEnd());
                }
                catch (EncoderFallbackException)
                {
                    throw CliException.DataError("<stdin>: input is not valid Unicode text");
                }
            }
            return new TextInput("<stdin>", () => new MemoryStream(bytes, writable: false));
        }
        if (Directory.Exists(path)) throw CliException.DataError($"{path}: {what} is a directory, not a file");
        if (!File.Exists(path)) throw CliException.DataError($"{path}: {what} not found");
        var input = new TextInput(path, () => OpenFile(path, what));
        input.open().Dispose(); // fail now if it cannot be read
        return input;
    }

    /// <summary>Reads the lines from the start.</summary>
    public LineReader ReadLines() => new(open(), Name);

    private static FileStream OpenFile(string path, string what)
    {
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw CliException.DataError($"{path}: cannot read {what} ({e.Message})");
        }
    }
}

/// <summary>
/// Reads lines of strict UTF-8 from a stream. Lines end with LF (a CR before it is dropped); a last line without LF
/// counts; a UTF-8 byte order mark at the very start is skipped.
/// </summary>
internal sealed class LineReader(Stream stream, string name) : IDisposable
{
    private readonly byte[] buffer = new byte[1 << 16];
    private byte[] line = new byte[256];
    private char[] chars = new char[256];
    private int start, end, lineLength;
    private bool endOfStream;

    /// <summary>1-based number of the last line returned.</summary>
    public int LineNumber { get; private set; }

    /// <summary>The next line, or false at the end.</summary>
    public bool TryRead([NotNullWhen(true)] out string? text)
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
                text = any ? Decode() : null;
                return any;
            }
            int read;
            try
            {
                read = stream.Read(buffer, 0, buffer.Length);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw CliException.DataError($"{name}:{LineNumber + 1}: read error ({e.Message})");
            }
            if (read == 0) endOfStream = true;
            start = 0;
            end = read;
        }
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (lineLength + bytes.Length > line.Length) Array.Resize(ref line, Math.Max(line.Length * 2, lineLength + bytes.Length));
        bytes.CopyTo(line.AsSpan(lineLength));
        lineLength += bytes.Length;
    }

    private string Decode()
    {
        LineNumber++;
        var bytes = line.AsSpan(0, lineLength);
        if (bytes.EndsWith((byte)'\r')) bytes = bytes[..^1];
        if (LineNumber == 1 && bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF])) bytes = bytes[3..];
        if (chars.Length < bytes.Length) chars = new char[Math.Max(bytes.Length, chars.Length * 2)];
        var status = Utf8.ToUtf16(bytes, chars, out int bytesRead, out int charsWritten, replaceInvalidSequences: false);
        if (status != OperationStatus.Done)
            throw CliException.DataError($"{name}:{LineNumber}: invalid UTF-8 (byte 0x{bytes[bytesRead]:X2} at byte {bytesRead + 1} of the line)");
        return new string(chars, 0, charsWritten);
    }

    /// <inheritdoc/>
    public void Dispose() => stream.Dispose();
}
