using System.Buffers.Binary;
using System.Globalization;

namespace ElmoNative.Output;

/// <summary>
/// Reads a shard's HDF5 file front to back as <see cref="EmbeddingFileWriter"/> laid it out (docs/scale-out.md): after
/// the superblock, each dataset's object header directly followed by its values, in line order; then, in the default
/// layout, the global heap collection holding the <c>sentence_to_index</c> text. Every header is checked (version,
/// messages, the values right after it, their size) so that a file of another shape is an
/// <see cref="InvalidDataException"/> naming it rather than a wrong merge. Memory: one buffer.
/// </summary>
internal sealed class EmbeddingShardReader : IDisposable
{
    private const int BufferSize = 1 << 20;
    private readonly FileStream stream;
    private readonly string path;
    private readonly byte[] header = new byte[1024];
    private long position = Hdf5StreamWriter.SuperblockSize;
    private long valueBytes;

    /// <summary>Opens <paramref name="path"/> (the file of a shard) for reading.</summary>
    public EmbeddingShardReader(string path)
    {
        this.path = path;
        stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        ReadExactly(header.AsSpan(0, 8));
        if (!header.AsSpan(0, 8).SequenceEqual((ReadOnlySpan<byte>)[0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n']))
            throw Invalid("not an HDF5 file");
    }

    /// <summary>
    /// Reads the next dataset's header into <paramref name="shape"/> (at least <see cref="Hdf5StreamWriter.MaxRank"/>
    /// long); returns its rank. Its values are then read by <see cref="CopyValues"/>.
    /// </summary>
    public int NextDataset(Span<long> shape)
    {
        if (valueBytes != 0) throw new InvalidOperationException("the values of the dataset before were not read");
        Seek(Hdf5StreamWriter.Pad8(position));
        ReadExactly(header.AsSpan(0, 16));
        int messages = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(2));
        int messageBytes = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(header.AsSpan(8)), int.MaxValue);
        if (header[0] != 1 || messages != 4 || messageBytes > header.Length - 16) throw Invalid("not a dataset header where one was expected");
        ReadExactly(header.AsSpan(16, messageBytes));
        int rank = -1;
        long address = -1, size = -1;
        for (int at = 16; at < 16 + messageBytes;)
        {
            int type = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(at));
            int length = BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(at + 2));
            var data = header.AsSpan(at + 8, Math.Min(length, 16 + messageBytes - at - 8));
            if (type == 0x0001)
            {
                rank = data[1];
                if (rank > Hdf5StreamWriter.MaxRank || data.Length < 8 + 8 * rank) throw Invalid("a dataset's dataspace is malformed");
                for (int d = 0; d < rank; d++) shape[d] = BinaryPrimitives.ReadInt64LittleEndian(data[(8 + 8 * d)..]);
            }
            else if (type == 0x0003)
            {
                if (data.Length < 1 || data[0] != 0x11) throw Invalid("a dataset is not float32");
            }
            else if (type == 0x0008)
            {
                if (data.Length < 18 || data[0] != 3 || data[1] != 1) throw Invalid("a dataset is not contiguous");
                address = BinaryPrimitives.ReadInt64LittleEndian(data[2..]);
                size = BinaryPrimitives.ReadInt64LittleEndian(data[10..]);
            }
            at += 8 + length;
        }
        long values = 1;
        for (int d = 0; d < rank; d++) values *= shape[d];
        if (rank < 1 || size != values * sizeof(float) || address != position + 16 + messageBytes || size <= 0)
            throw Invalid("a dataset's values do not follow its header as elmo embed writes them");
        position = address;
        valueBytes = size;
        return rank;
    }

    /// <summary>Copies the values of the dataset just read to <paramref name="writer"/>, through <paramref name="buffer"/>.</summary>
    public void CopyValues(EmbeddingFileWriter writer, byte[] buffer)
    {
        while (valueBytes > 0)
        {
            int chunk = (int)Math.Min(buffer.Length, valueBytes);
            ReadExactly(buffer.AsSpan(0, chunk));
            writer.WriteValueBytes(buffer.AsSpan(0, chunk));
            valueBytes -= chunk;
            position += chunk;
        }
    }

    /// <summary>
    /// After the last dataset: checks that no dataset follows (the global heap collection of <c>sentence_to_index</c>
    /// or the group's local heap comes next) and, when <paramref name="writer"/> is given, copies the pairs of
    /// <c>sentence_to_index</c> (the JSON object's text without its braces) into it.
    /// </summary>
    public void End(EmbeddingFileWriter? writer)
    {
        Seek(Hdf5StreamWriter.Pad8(position));
        ReadExactly(header.AsSpan(0, 32));
        if (writer is null)
        {
            if (!header.AsSpan(0, 4).SequenceEqual("HEAP"u8)) throw Invalid("more datasets than its manifest counts (or not a file of elmo embed --forget-sentences)");
            return;
        }
        if (!header.AsSpan(0, 4).SequenceEqual("GCOL"u8)) throw Invalid("more datasets than its manifest counts, or no sentence_to_index after them");
        long length = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(24));
        if (length < 2) throw Invalid("sentence_to_index is not a JSON object");
        ReadExactly(header.AsSpan(0, 1));
        if (header[0] != (byte)'{') throw Invalid("sentence_to_index is not a JSON object");
        writer.AppendSentencePairs(stream, length - 2);
        ReadExactly(header.AsSpan(0, 1));
        if (header[0] != (byte)'}') throw Invalid("sentence_to_index is not a JSON object");
    }

    /// <inheritdoc/>
    public void Dispose() => stream.Dispose();

    private void Seek(long to)
    {
        if (stream.Position != to) stream.Position = to;
        position = to;
    }

    private void ReadExactly(Span<byte> bytes)
    {
        try
        {
            stream.ReadExactly(bytes);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}: the file ends early (at byte {stream.Position})"), e);
        }
    }

    private InvalidDataException Invalid(string what) =>
        new(string.Create(CultureInfo.InvariantCulture, $"{path}: {what} (byte {position})"));
}
