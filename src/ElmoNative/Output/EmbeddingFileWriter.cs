using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace ElmoNative.Output;

/// <summary>
/// Writes the HDF5 file of AllenNLP's <c>elmo</c> command in one pass, with memory that does not grow with the number of
/// sentences: one float32 dataset per sentence, named by its 0-based index ("0", "1", ...), then
/// <c>sentence_to_index</c>, a dataset of one variable-length UTF-8 string (shape (1,), as h5py writes
/// <c>create_dataset("sentence_to_index", data=[json_text])</c>) holding a JSON object from each sentence to its index
/// as a string.
/// <para>
/// Each dataset's values go to the file as soon as they are given (contiguous layout, little-endian IEEE float32).
/// What is only needed at the end is spilled to two temporary files beside the output (unnamed while open where the system allows, deleted on dispose): the
/// sentence/index pairs as JSON text, and the address of each dataset's object header (8 bytes per dataset; the
/// group's index needs them in name order, which is not the order of the datasets). <see cref="Finish"/> then
/// appends the <c>sentence_to_index</c> string, the root group's names and index (local heap, symbol table nodes and a
/// version 1 B-tree of as many levels as needed) and rewrites the superblock at the start of the file.
/// See <see cref="Hdf5StreamWriter"/> for the HDF5 structures.
/// </para>
/// <para>
/// <b>Repeated sentences.</b> Every pair is written in input order, also when a sentence comes again (memory stays flat:
/// no dictionary of the sentences seen). A JSON object with a repeated key is legal JSON; Python's <c>json.loads</c>
/// keeps the key at its first position with its last value, which is exactly the dict AllenNLP's command builds
/// (<c>sentence_to_index[sentence] = str(i)</c> for each line, then <c>json.dumps</c>): a repeated sentence maps to its
/// last index. System.Text.Json's dictionary deserialization and JavaScript's <c>JSON.parse</c> also keep the last
/// value.
/// </para>
/// <para>
/// <b>Layouts</b> (<see cref="EmbeddingFileLayout"/>, AllenNLP's flags): the default above;
/// <see cref="EmbeddingFileLayout.LineNumbers"/> leaves <c>sentence_to_index</c> out (<c>--forget-sentences</c>);
/// <see cref="EmbeddingFileLayout.SentenceKeys"/> names each dataset by its sentence instead, without
/// <c>sentence_to_index</c> (<c>--use-sentence-keys</c>). The sentence names must be usable as HDF5 link names (not
/// empty, not ".", no '/' or NUL) and distinct; they are kept in memory until <see cref="Finish"/> sorts them (so this
/// layout's memory grows with the text of the sentences, as AllenNLP's own check for repeated keys needs).
/// </para>
/// <para>
/// Without <see cref="Finish"/> the file is not a valid HDF5 file: write it to a temporary name and rename it when
/// done (as <c>ElmoNative.Checkpoints.AtomicFile</c> does).
/// </para>
/// </summary>
public sealed class EmbeddingFileWriter : IDisposable
{
    /// <summary>Name of the dataset holding the JSON object from sentence text to index.</summary>
    public const string SentenceToIndexName = "sentence_to_index";

    private const int SpillBufferSize = 1 << 16;

    private readonly Hdf5StreamWriter file;
    private readonly EmbeddingFileLayout layout;
    private readonly long first; // the number of the first dataset: 0, or a shard's first line (docs/scale-out.md)
    private readonly List<(byte[] Name, long Header)> keyed = []; // SentenceKeys: each dataset's UTF-8 name and header
    private readonly FileStream addresses; // object header address of dataset i at byte 8 i
    private readonly FileStream pairs; // "sentence": "i" pairs, ", "-separated: the JSON object without its braces
    private byte[] pairBuffer = new byte[256];
    private long remainingValues; // values still to come for the dataset being written
    private long reservedValues; // values of reserved datasets still to be written at their addresses
    private long pairBytes;
    private bool finished, disposed;

    /// <summary>
    /// Creates (or overwrites) <paramref name="path"/> and the temporary files <c>path.index.tmp</c> and
    /// <c>path.addresses.tmp</c> beside it (their names deleted at once where the system allows: see <see cref="OpenSpill"/>); <paramref name="layout"/> says how datasets are named and whether
    /// <c>sentence_to_index</c> is written.
    /// </summary>
    public EmbeddingFileWriter(string path, EmbeddingFileLayout layout = EmbeddingFileLayout.LineNumbersWithSentenceToIndex)
        : this(path, layout, firstIndex: 0)
    {
    }

    /// <summary>
    /// As <see cref="EmbeddingFileWriter(string, EmbeddingFileLayout)"/>, with the datasets numbered from
    /// <paramref name="firstIndex"/> on (names and <c>sentence_to_index</c> values): the file of one shard of a larger
    /// input, whose keys are the global line numbers (docs/scale-out.md). Not with <see cref="EmbeddingFileLayout.SentenceKeys"/>.
    /// </summary>
    public EmbeddingFileWriter(string path, EmbeddingFileLayout layout, long firstIndex)
    {
        if (!Enum.IsDefined(layout)) throw new ArgumentOutOfRangeException(nameof(layout), layout, "unknown layout");
        ArgumentOutOfRangeException.ThrowIfNegative(firstIndex);
        if (firstIndex != 0 && layout == EmbeddingFileLayout.SentenceKeys) throw new ArgumentException("datasets named by their sentences have no numbers", nameof(firstIndex));
        this.layout = layout;
        first = firstIndex;
        FileStream? output = null, addressFile = null, pairFile = null;
        try
        {
            // A file that does not exist yet (the temporary file of an atomic write) is created without truncation:
            // FileMode.Create truncates even a file it has just created, and ext4 writes a file truncated to zero out
            // to disk when it is closed (auto_da_alloc), which ended every embed with the whole output's writeback in
            // the closing thread (bench/README.md, "Closing without a flush").
            output = new FileStream(path, File.Exists(path) ? FileMode.Create : FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, SpillBufferSize);
            addressFile = OpenSpill(path + ".addresses.tmp");
            pairFile = OpenSpill(path + ".index.tmp");
        }
        catch
        {
            output?.Dispose();
            addressFile?.Dispose();
            pairFile?.Dispose();
            throw;
        }
        file = new Hdf5StreamWriter(output);
        addresses = addressFile;
        pairs = pairFile;
        file.WriteBytes(new byte[Hdf5StreamWriter.SuperblockSize]); // the superblock's place, written by Finish
    }

    /// <summary>Number of datasets begun so far; the next one is named by this number (plus the first index of a shard's file).</summary>
    public long Count { get; private set; }

    /// <summary>
    /// Starts dataset <see cref="Count"/> of shape <paramref name="shape"/> (float32) for <paramref name="sentence"/>
    /// (the text that <c>sentence_to_index</c> maps to the index; AllenNLP uses the input line stripped of surrounding
    /// whitespace; with <see cref="EmbeddingFileLayout.SentenceKeys"/>, the dataset's name); its values follow through
    /// <see cref="WriteValues"/>, row-major (C order), exactly as many as the shape holds.
    /// </summary>
    public void BeginDataset(ReadOnlySpan<char> sentence, ReadOnlySpan<long> shape) => StartDataset(sentence, shape, withPair: true);

    /// <summary>
    /// Starts a dataset whose <c>sentence_to_index</c> pair is not made from its sentence but copied, already encoded, by
    /// <see cref="AppendSentencePairs"/> (what <c>elmo merge</c> does with the pairs of a shard's file).
    /// </summary>
    internal void BeginCopiedDataset(ReadOnlySpan<long> shape)
    {
        if (layout == EmbeddingFileLayout.SentenceKeys) throw new InvalidOperationException("datasets named by their sentences cannot be copied by number");
        StartDataset([], shape, withPair: false);
    }

    /// <summary>
    /// Appends <paramref name="length"/> bytes of <paramref name="source"/> to the text of <c>sentence_to_index</c>:
    /// pairs <c>"sentence": "index"</c> separated by ", ", as a file of this writer holds them between its braces (the
    /// merge of shards, whose pairs already carry the global line numbers). A ", " goes before them unless they are the first.
    /// </summary>
    internal void AppendSentencePairs(Stream source, long length)
    {
        ThrowIfUnusable();
        if (layout != EmbeddingFileLayout.LineNumbersWithSentenceToIndex) throw new InvalidOperationException("this layout has no sentence_to_index");
        if (length == 0) return;
        if (pairBytes > 0)
        {
            pairs.Write(", "u8);
            pairBytes += 2;
        }
        var buffer = new byte[SpillBufferSize];
        for (long left = length; left > 0;)
        {
            int read = source.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0) throw new EndOfStreamException("the sentence_to_index text ended early");
            pairs.Write(buffer, 0, read);
            left -= read;
        }
        pairBytes += length;
    }

    /// <summary>Appends the values of the dataset begun last as little-endian float32 bytes (a whole number of values).</summary>
    internal void WriteValueBytes(ReadOnlySpan<byte> littleEndian)
    {
        ThrowIfUnusable();
        if (littleEndian.Length % sizeof(float) != 0 || littleEndian.Length / sizeof(float) > remainingValues)
            throw new InvalidOperationException($"dataset {Count - 1} takes {remainingValues} more values, not {littleEndian.Length / (double)sizeof(float)}");
        file.WriteBytes(littleEndian);
        remainingValues -= littleEndian.Length / sizeof(float);
    }

    private void StartDataset(ReadOnlySpan<char> sentence, ReadOnlySpan<long> shape, bool withPair)
    {
        ThrowIfUnusable();
        if (remainingValues != 0) throw new InvalidOperationException($"dataset {Count - 1} still lacks {remainingValues} values");
        long values = ValueCount(shape);
        byte[]? name = null;
        if (layout == EmbeddingFileLayout.SentenceKeys)
        {
            if (!IsValidKey(sentence)) throw new ArgumentException($"'{sentence}' cannot name an HDF5 dataset (empty, '.', or holding '/' or NUL)", nameof(sentence));
            name = System.Text.Encoding.UTF8.GetBytes(sentence.ToArray());
        }
        long header = file.WriteDatasetHeader(shape, Hdf5ElementType.Float32, checked(values * sizeof(float)));
        if (name is not null)
        {
            keyed.Add((name, header));
        }
        else
        {
            Span<byte> address = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(address, header);
            addresses.Write(address);
            if (withPair && layout == EmbeddingFileLayout.LineNumbersWithSentenceToIndex) WritePair(sentence, first + Count, pairBytes == 0);
        }
        remainingValues = values;
        Count++;
    }

    /// <summary>Appends values to the dataset begun last.</summary>
    public void WriteValues(ReadOnlySpan<float> values)
    {
        ThrowIfUnusable();
        if (values.Length > remainingValues)
            throw new InvalidOperationException($"dataset {Count - 1} takes {remainingValues} more values, not {values.Length}");
        file.WriteFloats(values);
        remainingValues -= values.Length;
    }

    /// <summary>
    /// As <see cref="BeginDataset"/>, but the values do not follow: their place in the file is left for
    /// <see cref="WriteValuesAt"/>, so that datasets declared in input order can be filled in any order (what a
    /// regrouped embed does, without keeping a window's values in memory). Returns the address of the values; every
    /// value reserved must be written before <see cref="Finish"/>.
    /// </summary>
    internal long ReserveDataset(ReadOnlySpan<char> sentence, ReadOnlySpan<long> shape)
    {
        BeginDataset(sentence, shape);
        long address = file.Position;
        file.Skip(checked(remainingValues * sizeof(float)));
        reservedValues += remainingValues;
        remainingValues = 0;
        return address;
    }

    /// <summary>
    /// Writes <paramref name="values"/> at <paramref name="address"/>, inside the values of a dataset declared by
    /// <see cref="ReserveDataset"/> (its address plus whole values already counted by the caller).
    /// </summary>
    internal void WriteValuesAt(long address, ReadOnlySpan<float> values)
    {
        ThrowIfUnusable();
        if (values.Length > reservedValues)
            throw new InvalidOperationException($"{values.Length} values written into reserved datasets that take only {reservedValues} more");
        file.WriteFloatsAt(address, values);
        reservedValues -= values.Length;
    }

    /// <summary>A whole dataset at once: <see cref="BeginDataset"/>, then <paramref name="values"/> (all of them).</summary>
    public void AddDataset(ReadOnlySpan<char> sentence, ReadOnlySpan<long> shape, ReadOnlySpan<float> values)
    {
        long count = ValueCount(shape);
        if (values.Length != count)
            throw new ArgumentException($"shape ({string.Join(", ", shape.ToArray())}) holds {count} values, not {values.Length}", nameof(values));
        BeginDataset(sentence, shape);
        WriteValues(values);
    }

    /// <summary>
    /// Writes <c>sentence_to_index</c> and the root group, completes the superblock and flushes: the file is then a
    /// valid HDF5 file. Nothing can be added afterwards.
    /// </summary>
    public void Finish()
    {
        ThrowIfUnusable();
        if (remainingValues != 0) throw new InvalidOperationException($"dataset {Count - 1} still lacks {remainingValues} values");
        if (reservedValues != 0) throw new InvalidOperationException($"reserved datasets still lack {reservedValues} values");
        finished = true;
        if (layout == EmbeddingFileLayout.SentenceKeys)
        {
            FinishKeyed();
            return;
        }
        if (layout == EmbeddingFileLayout.LineNumbers)
        {
            FinishNumbered(indexName: -1, indexHeader: -1);
            return;
        }

        // sentence_to_index: "{" + the spilled pairs + "}" as the one object of a global heap collection, then the
        // dataset whose single element points to it.
        long jsonBytes = pairBytes + 2;
        if (jsonBytes > uint.MaxValue)
            throw new InvalidOperationException($"{SentenceToIndexName} would take {jsonBytes} bytes; an HDF5 variable-length string holds at most 4 GB");
        long collection = file.BeginGlobalHeapCollection(jsonBytes);
        file.WriteBytes("{"u8);
        CopySpill(pairs, pairBytes);
        file.WriteBytes("}"u8);
        file.EndGlobalHeapCollection(collection, jsonBytes);
        long indexHeader = file.WriteDatasetHeader([1], Hdf5ElementType.VariableLengthUtf8String, Hdf5StreamWriter.VariableLengthReferenceSize);
        file.WriteVariableLengthReference((int)(uint)jsonBytes, collection, objectIndex: 1);

        FinishNumbered(DecimalNames.HeapOffset(first, first + Count), indexHeader);
    }

    /// <summary>Whether <paramref name="key"/> can name a dataset of the root group: not empty, not ".", no '/' nor NUL.</summary>
    public static bool IsValidKey(ReadOnlySpan<char> key) => key.Length > 0 && !key.SequenceEqual(".") && key.IndexOfAny('/', '\0') < 0;

    /// <summary>
    /// The root group of the numbered datasets: its local heap ("", the names in numeric order, then
    /// "sentence_to_index" when <paramref name="indexName"/> is not negative), its symbol table, the superblock.
    /// </summary>
    private void FinishNumbered(long indexName, long indexHeader)
    {
        bool withIndex = indexName >= 0;
        long namesEnd = DecimalNames.HeapOffset(first, first + Count);
        long heapSize = namesEnd + (withIndex ? Hdf5StreamWriter.Pad8(SentenceToIndexName.Length + 1) : 0);
        long heap = file.WriteLocalHeapHeader(heapSize);
        file.WriteBytes(stackalloc byte[8]);
        DecimalNames.WriteHeapNames(file, first, Count);
        if (withIndex)
        {
            Span<byte> name = stackalloc byte[(int)Hdf5StreamWriter.Pad8(SentenceToIndexName.Length + 1)];
            name.Clear();
            System.Text.Encoding.ASCII.GetBytes(SentenceToIndexName, name);
            file.WriteBytes(name);
        }
        if (file.Position != heap + Hdf5StreamWriter.LocalHeapHeaderSize + heapSize) throw new InvalidOperationException("local heap size mismatch");

        // Its symbol table, in strcmp order: the decimal names, then "sentence_to_index" ('s' sorts after the digits).
        addresses.Flush();
        var headers = new AddressReader(addresses.SafeFileHandle, first);
        var table = new SymbolTableBuilder(file);
        var order = new DecimalNames.StrcmpOrder(first, Count);
        while (order.MoveNext()) table.Add(DecimalNames.HeapOffset(first, order.Current), headers.Read(order.Current));
        if (withIndex) table.Add(indexName, indexHeader);
        FinishGroup(table.Finish(), heap);
    }

    /// <summary>The root group of datasets named by their sentences: names in strcmp (byte) order in heap and table.</summary>
    private void FinishKeyed()
    {
        keyed.Sort((a, b) => a.Name.AsSpan().SequenceCompareTo(b.Name));
        for (int i = 1; i < keyed.Count; i++)
        {
            if (keyed[i].Name.AsSpan().SequenceEqual(keyed[i - 1].Name))
                throw new InvalidOperationException($"two datasets are named '{System.Text.Encoding.UTF8.GetString(keyed[i].Name)}'");
        }
        long heapSize = 8;
        foreach (var (name, _) in keyed) heapSize += Hdf5StreamWriter.Pad8(name.Length + 1);
        long heap = file.WriteLocalHeapHeader(heapSize);
        var offsets = new long[keyed.Count];
        file.WriteBytes(stackalloc byte[8]);
        long at = 8;
        var padding = new byte[8];
        for (int i = 0; i < keyed.Count; i++)
        {
            offsets[i] = at;
            var name = keyed[i].Name;
            file.WriteBytes(name);
            int padded = (int)Hdf5StreamWriter.Pad8(name.Length + 1);
            file.WriteBytes(padding.AsSpan(0, padded - name.Length));
            at += padded;
        }
        var table = new SymbolTableBuilder(file);
        for (int i = 0; i < keyed.Count; i++) table.Add(offsets[i], keyed[i].Header);
        FinishGroup(table.Finish(), heap);
    }

    /// <summary>The root group's header and the superblock that points to it.</summary>
    private void FinishGroup(long bTree, long heap)
    {
        long root = file.WriteGroupHeader(bTree, heap);
        file.Align();
        file.WriteSuperblock(root, bTree, heap, endOfFile: file.Position);
        file.Flush();
    }

    /// <summary>
    /// Closes the file and deletes the temporary files (the output stays, complete only after <see cref="Finish"/>). All
    /// three are closed even when closing one fails (a full disk fails the last flush); the first failure is then thrown.
    /// </summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        try
        {
            file.Dispose();
        }
        finally
        {
            try
            {
                addresses.Dispose();
            }
            finally
            {
                pairs.Dispose();
            }
        }
    }

    private static long ValueCount(ReadOnlySpan<long> shape)
    {
        long values = 1;
        foreach (long d in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(d, nameof(shape));
            values = checked(values * d);
        }
        return values;
    }

    /// <summary>
    /// A spill file at <paramref name="path"/>, deleted when closed. Where a file can be deleted while open (not Windows)
    /// its name is deleted at once: the writer keeps it through its handle, and nothing is left behind however the
    /// process ends (a full disk, SIGKILL).
    /// </summary>
    private static FileStream OpenSpill(string path)
    {
        if (OperatingSystem.IsWindows()) return new(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, SpillBufferSize, FileOptions.DeleteOnClose);
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, SpillBufferSize);
        try
        {
            File.Delete(path);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        return stream;
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (finished) throw new InvalidOperationException("the file is finished");
    }

    /// <summary>Appends <c>"sentence": "index"</c> (after ", " unless it is the first) to the spill file.</summary>
    private void WritePair(ReadOnlySpan<char> sentence, long index, bool isFirst)
    {
        int most = 2 + PythonJson.MaxStringBytes(sentence.Length) + 2 + 22;
        if (pairBuffer.Length < most) pairBuffer = new byte[Math.Max(most, 2 * pairBuffer.Length)];
        var b = pairBuffer.AsSpan();
        int at = 0;
        if (!isFirst)
        {
            ", "u8.CopyTo(b);
            at = 2;
        }
        at += PythonJson.WriteString(sentence, b[at..]);
        ": \""u8.CopyTo(b[at..]);
        at += 3;
        index.TryFormat(b[at..], out int digits, provider: System.Globalization.CultureInfo.InvariantCulture);
        at += digits;
        b[at++] = (byte)'"';
        pairs.Write(b[..at]);
        pairBytes += at;
    }

    private void CopySpill(FileStream spill, long length)
    {
        spill.Flush();
        spill.Position = 0;
        var buffer = new byte[SpillBufferSize];
        for (long left = length; left > 0;)
        {
            int read = spill.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0) throw new IOException("temporary file of sentence_to_index ended early");
            file.WriteBytes(buffer.AsSpan(0, read));
            left -= read;
        }
    }

    /// <summary>
    /// Reads the spilled object header addresses in the strcmp order of the names. In that order the numbers of each
    /// digit count come in increasing order, so one sequential cursor per digit count (at most 19, 4 KB each) reads the
    /// file front to back for every length: no random access per name.
    /// </summary>
    private sealed class AddressReader(SafeFileHandle handle, long first)
    {
        private const int PerBlock = 512;
        private readonly Cursor?[] cursors = new Cursor?[20];

        /// <summary>The address of the dataset numbered <paramref name="number"/> (the number of the first dataset plus its position).</summary>
        public long Read(long number)
        {
            long index = number - first;
            var cursor = cursors[DecimalNames.Digits(number)] ??= new Cursor();
            if (index < cursor.First || index >= cursor.First + cursor.Count)
            {
                cursor.First = index;
                cursor.Count = RandomAccess.Read(handle, cursor.Block, index * 8) / 8;
                if (cursor.Count == 0) throw new IOException("temporary file of object header addresses ended early");
            }
            return BinaryPrimitives.ReadInt64LittleEndian(cursor.Block.AsSpan((int)(index - cursor.First) * 8));
        }

        private sealed class Cursor
        {
            public readonly byte[] Block = new byte[PerBlock * 8];
            public long First;
            public int Count;
        }
    }
}

/// <summary>How an embedding file names its datasets (AllenNLP's <c>--forget-sentences</c> and <c>--use-sentence-keys</c>).</summary>
public enum EmbeddingFileLayout
{
    /// <summary>Datasets "0", "1", ... by line, and <c>sentence_to_index</c> (AllenNLP's default).</summary>
    LineNumbersWithSentenceToIndex,

    /// <summary>Datasets "0", "1", ... by line, no <c>sentence_to_index</c> (<c>--forget-sentences</c>).</summary>
    LineNumbers,

    /// <summary>Each dataset named by its sentence, no <c>sentence_to_index</c> (<c>--use-sentence-keys</c>).</summary>
    SentenceKeys,
}
