using System.Text;
using ElmoNative.Text;

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
    public Utf8LineReader ReadLines() => new(open(), Name);

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
