using System.Text;

namespace ElmoNative.Text;

/// <summary>
/// The UTF-8 bytes of already-decoded text, encoded a block at a time; text that is not valid Unicode (a lone
/// surrogate) is an <see cref="InvalidDataException"/> naming the input.
/// </summary>
internal sealed class TextReaderStream(TextReader reader, string name) : Stream
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
                throw new InvalidDataException($"{name}: input is not valid Unicode text");
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
