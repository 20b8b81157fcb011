namespace ElmoNative.Checkpoints;

/// <summary>
/// A read-only view of an open file in which every read either fills its buffer or fails: the HDF5 reader asks for
/// exactly the bytes the file's structure points to, so a read that reaches the end of the file early means the file is
/// truncated (or its addresses damaged), and that is an <see cref="InvalidDataException"/> naming the file instead of
/// a short read the reader might take for zeros (docs/formats.md, "Checks on load").
/// </summary>
internal sealed class StrictReadStream(FileStream file, string path) : Stream
{
    private readonly long length = file.Length;

    /// <summary>The file's length when it was opened.</summary>
    public override long Length => length;

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanSeek => true;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Position
    {
        get => file.Position;
        set => Seek(value, SeekOrigin.Begin);
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    /// <inheritdoc/>
    public override int Read(Span<byte> buffer)
    {
        long start = file.Position;
        if (start + buffer.Length > length) throw Truncated(start, buffer.Length);
        int total = 0;
        while (total < buffer.Length)
        {
            int read = file.Read(buffer[total..]);
            if (read == 0) throw Truncated(start, buffer.Length);
            total += read;
        }
        return total;
    }

    /// <inheritdoc/>
    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        ReadExactly(one);
        return one[0];
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin)
    {
        long target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => file.Position + offset,
            _ => length + offset,
        };
        if (target < 0) throw new InvalidDataException($"{path}: damaged HDF5 file (an address before the start of the file)");
        return file.Seek(target, SeekOrigin.Begin);
    }

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing) file.Dispose();
        base.Dispose(disposing);
    }

    private InvalidDataException Truncated(long start, int count) =>
        new($"{path}: the HDF5 file is truncated or damaged: it has {length:N0} bytes, its structure points to bytes {start:N0} .. {start + count - 1:N0}");
}
