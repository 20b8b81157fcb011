using System.Globalization;
using System.Security.Cryptography;
using ElmoNative.Text;

namespace ElmoNative.Output;

/// <summary>
/// Shard <see cref="Index"/> of <see cref="Count"/> of a one-sentence-per-line input file (docs/scale-out.md): the
/// contiguous bytes <see cref="Start"/> .. <see cref="End"/>, cut at line starts. Shard k nominally begins at byte
/// k S / N (S the file's size) and really at the first line start at or after it; it ends where shard k + 1 begins, so
/// the N shards hold every line exactly once (a line belongs to the shard its first byte falls in). Locating a shard
/// reads only the bytes from each nominal cut to the next line end, and counts the newline bytes before
/// <see cref="Start"/> (without decoding them) to know the global number of its first line.
/// </summary>
/// <param name="Index">The shard's index, 0 .. <paramref name="Count"/> - 1.</param>
/// <param name="Count">The number of shards.</param>
/// <param name="InputSize">The input file's size in bytes.</param>
/// <param name="Start">The first byte of the shard (a line start, or the input's size when the shard is empty).</param>
/// <param name="End">The byte after its last line (the next shard's <paramref name="Start"/>).</param>
/// <param name="FirstLine">The 0-based global number of its first line (the lines before <paramref name="Start"/>).</param>
public sealed record InputShard(int Index, int Count, long InputSize, long Start, long End, long FirstLine)
{
    private const int BlockSize = 1 << 20;

    /// <summary>Whether the shard holds no byte (more shards than lines, or a line longer than a shard's share).</summary>
    public bool IsEmpty => Start == End;

    /// <summary>
    /// Locates shard <paramref name="index"/> of <paramref name="count"/> in the file <paramref name="path"/> (which
    /// must not change while the shards run: <see cref="Checksum"/> records what each one read).
    /// </summary>
    public static InputShard Locate(string path, int index, int count)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, count);
        using var handle = OpenRead(path);
        long size = RandomAccess.GetLength(handle);
        long start = LineStartAtOrAfter(handle, size, Nominal(size, index, count));
        long end = index + 1 == count ? size : LineStartAtOrAfter(handle, size, Nominal(size, index + 1, count));
        if (end < start) end = start; // one line spans this shard's whole share: the shard is empty
        long linesBefore = CountNewlines(handle, start);
        if (start == size && size > 0)
        {
            // An empty shard at the end: a last line without a newline is a line before it too.
            Span<byte> last = stackalloc byte[1];
            if (RandomAccess.Read(handle, last, size - 1) == 1 && last[0] != (byte)'\n') linesBefore++;
        }
        return new InputShard(index, count, size, start, end, linesBefore);
    }

    /// <summary>The nominal first byte of shard <paramref name="index"/>: index x size / count, rounded down.</summary>
    public static long Nominal(long size, int index, int count) => (long)((Int128)size * index / count);

    /// <summary>SHA-256 of the shard's bytes of <paramref name="path"/>, 64 lower-case hex digits.</summary>
    public string Checksum(string path)
    {
        using var handle = OpenRead(path);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[BlockSize];
        for (long at = Start; at < End;)
        {
            int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, End - at)), at);
            if (read == 0) throw new IOException($"{path}: the file ended at byte {at}, before the shard's end ({End}); was it changed?");
            hash.AppendData(buffer, 0, read);
            at += read;
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>
    /// The shard's lines, read from <paramref name="path"/> as <see cref="Utf8LineReader"/> reads a whole file, numbered
    /// globally in errors (line <see cref="FirstLine"/> + 1 first).
    /// </summary>
    public Utf8LineReader OpenLines(string path)
    {
        if (FirstLine > int.MaxValue) throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}: more than {int.MaxValue} lines before shard {Index}"));
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        try
        {
            if (stream.Length != InputSize) throw new IOException(string.Create(CultureInfo.InvariantCulture, $"{path}: the file's size changed ({InputSize} -> {stream.Length} bytes) since its shards were located"));
            stream.Position = Start;
            return new Utf8LineReader(new RangeStream(stream, End - Start), path, (int)FirstLine);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    private static Microsoft.Win32.SafeHandles.SafeFileHandle OpenRead(string path)
    {
        try
        {
            return File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"{path}: input file not found", path, e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new FileNotFoundException($"{path}: cannot read input file ({e.Message})", path, e);
        }
    }

    /// <summary>The first line start at or after <paramref name="at"/>: 0, a byte after a newline, or the file's size.</summary>
    private static long LineStartAtOrAfter(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long size, long at)
    {
        if (at <= 0) return 0;
        var buffer = new byte[64 * 1024];
        for (long p = at - 1; p < size;)
        {
            int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, size - p)), p);
            if (read == 0) break;
            int newline = buffer.AsSpan(0, read).IndexOf((byte)'\n');
            if (newline >= 0) return p + newline + 1;
            p += read;
        }
        return size;
    }

    /// <summary>The newline bytes before <paramref name="end"/>: the lines before it, when it is a line start.</summary>
    private static long CountNewlines(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long end)
    {
        var buffer = new byte[BlockSize];
        long count = 0;
        for (long at = 0; at < end;)
        {
            int read = RandomAccess.Read(handle, buffer.AsSpan(0, (int)Math.Min(buffer.Length, end - at)), at);
            if (read == 0) break;
            count += buffer.AsSpan(0, read).Count((byte)'\n');
            at += read;
        }
        return count;
    }

    /// <summary>The next <c>length</c> bytes of a stream, read-only; disposes it.</summary>
    private sealed class RangeStream(Stream inner, long length) : Stream
    {
        private long left = length;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (left <= 0) return 0;
            int read = inner.Read(buffer[..(int)Math.Min(buffer.Length, left)]);
            left -= read;
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
