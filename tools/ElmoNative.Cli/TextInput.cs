using ElmoNative.Text;

namespace ElmoNative.Cli;

/// <summary>
/// A text input (a file or stdin) read line by line as strict UTF-8: an invalid byte is an error naming the input and
/// the 1-based line number. stdin is streamed (never held whole in memory), so it can be read only once; a file can be
/// read again.
/// </summary>
internal sealed class TextInput
{
    private readonly Func<Utf8LineReader> open;
    private readonly bool once;
    private bool opened;

    private TextInput(string name, Func<Utf8LineReader> open, bool once)
    {
        Name = name;
        this.open = open;
        this.once = once;
    }

    /// <summary>How errors name the input: the path as given, or <c>&lt;stdin&gt;</c>.</summary>
    public string Name { get; }

    /// <summary>Whether the input is a file (whose size is known, and which can be read again).</summary>
    public bool IsFile => !once;

    /// <summary>
    /// A file, or stdin for <c>-</c>. When <paramref name="stdin"/> is a <see cref="StreamReader"/> its raw bytes are
    /// read (so invalid UTF-8 is caught with its line); any other reader is taken as already-decoded text.
    /// </summary>
    public static TextInput Open(string path, TextReader stdin, string what)
    {
        if (path == "-")
        {
            return new TextInput("<stdin>", () => stdin is StreamReader reader
                ? new Utf8LineReader(reader.BaseStream, "<stdin>", leaveOpen: true)
                : new Utf8LineReader(new TextReaderStream(stdin, "<stdin>"), "<stdin>"), once: true);
        }
        var input = new TextInput(path, () => new Utf8LineReader(path, what), once: false);
        input.open().Dispose(); // fail now (missing, a directory, unreadable) if it cannot be read
        return input;
    }

    /// <summary>Reads the lines from the start (stdin: once only).</summary>
    public Utf8LineReader ReadLines()
    {
        if (once && opened) throw new InvalidOperationException($"{Name} can be read only once");
        opened = true;
        return open();
    }
}
