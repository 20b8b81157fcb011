using System.Text;
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
                : new Utf8LineReader(new TextReaderStream(stdin), "<stdin>"), once: true);
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

    /// <summary>
    /// The UTF-8 bytes of already-decoded text, encoded a block at a time; text that is not valid Unicode (a lone
    /// surrogate) is a data error.
    /// </summary>
    private sealed class TextReaderStream(TextReader reader) : Stream
    {
        private readonly Encoder encoder = new UTF8Encoding(false, throwOnInvalidBytes: true).GetEncoder();
        private readonly char[] chars = new char[4096];
        private readonly byte[] bytes = new byte[3 * 4096 + 8];
        private int start, end;
        private bool done;

        public override int Read(Span<byte> buffer)
        {
            while (start == end && !done)
            {
                int read = reader.Read(chars, 0, chars.Length);
                done = read == 0;
                try
                {
                    end = encoder.GetBytes(chars, 0, read, bytes, 0, flush: done);
                }
                catch (EncoderFallbackException)
                {
                    throw CliException.DataError("<stdin>: input is not valid Unicode text");
                }
                start = 0;
            }
            int count = Math.Min(buffer.Length, end - start);
            bytes.AsSpan(start, count).CopyTo(buffer);
            start += count;
            return count;
        }

        // The rest of Stream: a forward-only, read-only stream.
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
