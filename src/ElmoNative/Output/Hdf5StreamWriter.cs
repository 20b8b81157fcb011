using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace ElmoNative.Output;

/// <summary>The two element types <see cref="Hdf5StreamWriter"/> can declare for a dataset.</summary>
internal enum Hdf5ElementType
{
    /// <summary>IEEE 754 single precision, little-endian (h5dump: <c>H5T_IEEE_F32LE</c>), 4 bytes per element.</summary>
    Float32,

    /// <summary>
    /// A variable-length UTF-8 string (h5dump: <c>H5T_STRING { STRSIZE H5T_VARIABLE; CSET H5T_CSET_UTF8 }</c>), what
    /// h5py writes for a Python <c>str</c>: each element is a 16-byte reference to the bytes in a global heap.
    /// </summary>
    VariableLengthUtf8String,
}

/// <summary>
/// Encodes the HDF5 structures of a file with one flat root group of contiguous datasets, written front to back in a
/// single pass (plus a few small patches of addresses that become known later). It knows the file format, not what the
/// datasets mean; <see cref="EmbeddingFileWriter"/> decides the layout.
/// <para>
/// Everything follows the "HDF5 File Format Specification" (version 3.0; section numbers below are its own), in the
/// oldest layout every HDF5 reader understands: superblock version 0, offsets and lengths of 8 bytes, version 1 object
/// headers, a group stored as a symbol table (version 1 B-tree + local heap of names + symbol table nodes), all
/// integers little-endian. The "undefined address" is all bits set. Every structure starts at an address that is a
/// multiple of 8 (not required by the format, but what the HDF5 library does too).
/// </para>
/// </summary>
internal sealed class Hdf5StreamWriter : IDisposable
{
    /// <summary>The undefined address (II.A: "all bits set").</summary>
    public const long UndefinedAddress = -1;

    /// <summary>Size in bytes of the version 0 superblock with 8-byte offsets, root symbol table entry included.</summary>
    public const int SuperblockSize = 56 + SymbolTableEntrySize;

    /// <summary>"Group Leaf Node K" (II.A): a symbol table node holds up to 2K = 8 links. The library's default.</summary>
    public const int GroupLeafNodeK = 4;

    /// <summary>"Group Internal Node K" (II.A): a group B-tree node has up to 2K = 32 children. The library's default.</summary>
    public const int GroupInternalNodeK = 16;

    /// <summary>Size of a symbol table entry (III.C) with 8-byte offsets.</summary>
    public const int SymbolTableEntrySize = 40;

    /// <summary>Size of a symbol table node (III.B): an 8-byte header and room for 2K entries.</summary>
    public const int SymbolTableNodeSize = 8 + 2 * GroupLeafNodeK * SymbolTableEntrySize;

    /// <summary>Size of a group B-tree node (III.A.1): 24-byte header, 2K + 1 keys and 2K children of 8 bytes each.</summary>
    public const int BTreeNodeSize = 24 + (2 * GroupInternalNodeK + 1) * 8 + 2 * GroupInternalNodeK * 8;

    /// <summary>Size of the header of a local heap (III.D); its data segment follows.</summary>
    public const int LocalHeapHeaderSize = 32;

    /// <summary>Smallest global heap collection the library reads (it always reads 4096 bytes first: H5HG_MINSIZE).</summary>
    public const int GlobalHeapMinimumSize = 4096;

    /// <summary>Size of one element of a <see cref="Hdf5ElementType.VariableLengthUtf8String"/> dataset.</summary>
    public const int VariableLengthReferenceSize = 16;

    /// <summary>Largest rank HDF5 allows (H5S_MAX_RANK).</summary>
    public const int MaxRank = 32;

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1A, (byte)'\n'];

    private readonly Stream stream;
    private readonly byte[] scratch = new byte[1024]; // the largest structure: an object header of rank 32 (~ 330 bytes)
    private readonly float[]? swap = BitConverter.IsLittleEndian ? null : new float[1024];

    /// <summary>Writes to <paramref name="stream"/> (seekable, positioned at 0, owned by the writer from now on).</summary>
    public Hdf5StreamWriter(Stream stream)
    {
        if (!stream.CanSeek || !stream.CanWrite) throw new ArgumentException("the stream must be writable and seekable", nameof(stream));
        this.stream = stream;
    }

    /// <summary>The address the next structure or byte is written at (= the file's length so far).</summary>
    public long Position => stream.Position;

    /// <summary>Raw bytes (for example dataset values or heap contents), appended at <see cref="Position"/>.</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes) => stream.Write(bytes);

    /// <summary>Float32 values appended little-endian (dataset raw data).</summary>
    public void WriteFloats(ReadOnlySpan<float> values)
    {
        if (swap is null)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }
        for (int start = 0; start < values.Length; start += swap.Length)
        {
            var part = values.Slice(start, Math.Min(swap.Length, values.Length - start));
            for (int i = 0; i < part.Length; i++)
                swap[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReverseEndianness(BitConverter.SingleToInt32Bits(part[i])));
            stream.Write(MemoryMarshal.AsBytes(swap.AsSpan(0, part.Length)));
        }
    }

    /// <summary>
    /// Leaves <paramref name="bytes"/> bytes at <see cref="Position"/> to be written later (<see cref="WriteFloatsAt"/>):
    /// the position moves past them; the file grows over them when something is written after them.
    /// </summary>
    public void Skip(long bytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        stream.Position += bytes;
    }

    /// <summary>Float32 values written little-endian at <paramref name="address"/> (a place left by <see cref="Skip"/>); <see cref="Position"/> stays.</summary>
    public void WriteFloatsAt(long address, ReadOnlySpan<float> values)
    {
        long end = stream.Position;
        stream.Position = address;
        WriteFloats(values);
        stream.Position = end;
    }

    /// <summary>Appends zero bytes up to the next multiple of 8.</summary>
    public void Align()
    {
        int pad = (int)(-Position & 7);
        Span<byte> zeros = stackalloc byte[8];
        zeros.Clear();
        if (pad > 0) stream.Write(zeros[..pad]);
    }

    /// <summary>
    /// Starts a structure at the next multiple of 8 (its <paramref name="address"/>): the first
    /// <paramref name="length"/> bytes of the scratch buffer, zeroed, to encode it in before writing it.
    /// </summary>
    private Span<byte> BeginStructure(int length, out long address)
    {
        Align();
        address = Position;
        var b = scratch.AsSpan(0, length);
        b.Clear();
        return b;
    }

    /// <summary>Rounds <paramref name="size"/> up to a multiple of 8.</summary>
    public static long Pad8(long size) => (size + 7) & ~7L;

    /// <summary>
    /// II.A Superblock, version 0, written (or rewritten) at address 0; the position of the stream is kept. Layout:
    /// <code>
    /// signature \x89 H D F \r \n \x1a \n                               8 bytes
    /// superblock version 0, free-space version 0, root group symbol table entry version 0, reserved,
    /// shared header message format version 0, size of offsets 8, size of lengths 8, reserved    8 x 1 byte
    /// group leaf node K (2), group internal node K (2), file consistency flags (4)
    /// base address 0, free-space info address (undefined), end of file address, driver info (undefined)   4 x 8
    /// root group symbol table entry (III.C), cache type 1: its scratch pad holds the B-tree and heap addresses
    /// </code>
    /// Written first with zero addresses as a placeholder, then again by the last step with the real ones.
    /// </summary>
    public void WriteSuperblock(long rootObjectHeader, long rootBTree, long rootLocalHeap, long endOfFile)
    {
        var b = scratch.AsSpan(0, SuperblockSize);
        b.Clear();
        Signature.CopyTo(b);
        b[13] = 8; // size of offsets
        b[14] = 8; // size of lengths
        BinaryPrimitives.WriteUInt16LittleEndian(b[16..], GroupLeafNodeK);
        BinaryPrimitives.WriteUInt16LittleEndian(b[18..], GroupInternalNodeK);
        BinaryPrimitives.WriteInt64LittleEndian(b[24..], 0); // base address
        BinaryPrimitives.WriteInt64LittleEndian(b[32..], UndefinedAddress); // free-space info
        BinaryPrimitives.WriteInt64LittleEndian(b[40..], endOfFile);
        BinaryPrimitives.WriteInt64LittleEndian(b[48..], UndefinedAddress); // driver information block
        EncodeSymbolTableEntry(b[56..], linkNameOffset: 0, rootObjectHeader, cacheType: 1, rootBTree, rootLocalHeap);
        WriteAt(0, b);
    }

    /// <summary>
    /// A dataset's object header (IV.A.1.a, version 1) followed by nothing yet: its raw data is to be appended right
    /// after it, <paramref name="dataSize"/> bytes (contiguous layout). Returns the header's address (which the group's
    /// symbol table points to). Messages, each with an 8-byte header (type 2, size 2, flags 1, reserved 3) and its
    /// data padded to a multiple of 8 bytes:
    /// <list type="bullet">
    /// <item>IV.A.2.b Dataspace, version 1: version, rank, flags 0 (maximum = current dimensions), 5 reserved bytes,
    /// then the dimensions (8 bytes each, slowest first as in C and numpy).</item>
    /// <item>IV.A.2.d Datatype: see <see cref="EncodeDatatype"/>.</item>
    /// <item>IV.A.2.f Fill Value, version 2: allocation time late (2), write time "if set" (2), no fill value defined.</item>
    /// <item>IV.A.2.i Data Layout, version 3, class 1 (contiguous): the data's address and size in bytes.</item>
    /// </list>
    /// </summary>
    public long WriteDatasetHeader(ReadOnlySpan<long> shape, Hdf5ElementType type, long dataSize)
    {
        if (shape.Length > MaxRank) throw new ArgumentException($"HDF5 datasets have at most {MaxRank} dimensions", nameof(shape));
        var b = BeginStructure(scratch.Length, out long address);
        int at = 16; // after the prefix
        at += EncodeMessage(b[at..], 0x0001, EncodeDataspace(b[(at + 8)..], shape));
        at += EncodeMessage(b[at..], 0x0003, EncodeDatatype(b[(at + 8)..], type));
        at += EncodeMessage(b[at..], 0x0005, EncodeFillValue(b[(at + 8)..]));
        int layout = 24;
        long dataAddress = address + at + 8 + layout;
        at += EncodeMessage(b[at..], 0x0008, EncodeContiguousLayout(b[(at + 8)..], dataSize == 0 ? UndefinedAddress : dataAddress, dataSize));
        EncodeObjectHeaderPrefix(b, messages: 4, messageBytes: at - 16);
        stream.Write(b[..at]);
        return address;
    }

    /// <summary>
    /// The root group's object header (IV.A.1.a, version 1) with one message, IV.A.2.r Symbol Table: the addresses of
    /// the group's v1 B-tree and of its local heap of names. Returns the header's address.
    /// </summary>
    public long WriteGroupHeader(long bTree, long localHeap)
    {
        var b = BeginStructure(scratch.Length, out long address);
        var message = b[24..];
        BinaryPrimitives.WriteInt64LittleEndian(message, bTree);
        BinaryPrimitives.WriteInt64LittleEndian(message[8..], localHeap);
        int at = 16 + EncodeMessage(b[16..], 0x0011, 16);
        EncodeObjectHeaderPrefix(b, messages: 1, messageBytes: at - 16);
        stream.Write(b[..at]);
        return address;
    }

    /// <summary>
    /// III.D Local heap header: "HEAP", version 0, 3 reserved bytes, data segment size, offset of the first free block
    /// (none: the library's end-of-list value 1, H5HL_FREE_NULL, not the undefined address), data segment address
    /// (right after this header). The caller then appends exactly <paramref name="dataSegmentSize"/> bytes: the names,
    /// each null-terminated and padded with zeros to a multiple of 8. Returns the heap's address.
    /// </summary>
    public long WriteLocalHeapHeader(long dataSegmentSize)
    {
        var b = BeginStructure(LocalHeapHeaderSize, out long address);
        "HEAP"u8.CopyTo(b);
        BinaryPrimitives.WriteInt64LittleEndian(b[8..], dataSegmentSize);
        BinaryPrimitives.WriteInt64LittleEndian(b[16..], 1);
        BinaryPrimitives.WriteInt64LittleEndian(b[24..], address + LocalHeapHeaderSize);
        stream.Write(b);
        return address;
    }

    /// <summary>
    /// III.B Symbol table node: "SNOD", version 1, reserved byte, number of symbols (2 bytes), then 2K symbol table
    /// entries (III.C; unused ones zero). The entries must be sorted by name, byte-wise (strcmp), and every name must
    /// be greater than those of the nodes before. Each entry: link name offset in the local heap, object header
    /// address, cache type 0 (nothing cached), reserved, 16-byte scratch pad (zero). Returns the node's address.
    /// </summary>
    public long WriteSymbolTableNode(ReadOnlySpan<long> nameOffsets, ReadOnlySpan<long> objectHeaders)
    {
        if (nameOffsets.Length is 0 or > 2 * GroupLeafNodeK || objectHeaders.Length != nameOffsets.Length)
            throw new ArgumentException("a symbol table node holds 1 to 2K entries");
        var b = BeginStructure(SymbolTableNodeSize, out long address);
        "SNOD"u8.CopyTo(b);
        b[4] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(b[6..], (ushort)nameOffsets.Length);
        for (int i = 0; i < nameOffsets.Length; i++)
            EncodeSymbolTableEntry(b[(8 + i * SymbolTableEntrySize)..], nameOffsets[i], objectHeaders[i], cacheType: 0, 0, 0);
        stream.Write(b);
        return address;
    }

    /// <summary>
    /// III.A.1 Version 1 B-tree node of a group (node type 0): "TREE", type, level (0 = its children are symbol table
    /// nodes), entries used (2 bytes), left and right sibling addresses (undefined at the ends of a level), then
    /// key 0, child 0, key 1, child 1, ..., child n-1, key n, the rest of the 2K children zero. A key is the local heap
    /// offset of a name: child i holds the names greater than key i and at most key i + 1 (so key i + 1 is the last
    /// name in child i, and key 0 is the last name of the left sibling, or the empty string for the first node).
    /// The right sibling is not known yet when a node is written: pass it later to <see cref="PatchRightSibling"/>.
    /// Returns the node's address.
    /// </summary>
    public long WriteBTreeNode(int level, long leftSibling, ReadOnlySpan<long> keys, ReadOnlySpan<long> children)
    {
        if (children.Length is 0 or > 2 * GroupInternalNodeK || keys.Length != children.Length + 1)
            throw new ArgumentException("a B-tree node has 1 to 2K children and one key more");
        var b = BeginStructure(BTreeNodeSize, out long address);
        "TREE"u8.CopyTo(b);
        b[4] = 0; // group node
        b[5] = checked((byte)level);
        BinaryPrimitives.WriteUInt16LittleEndian(b[6..], (ushort)children.Length);
        BinaryPrimitives.WriteInt64LittleEndian(b[8..], leftSibling);
        BinaryPrimitives.WriteInt64LittleEndian(b[16..], UndefinedAddress);
        int at = 24;
        for (int i = 0; i < children.Length; i++)
        {
            BinaryPrimitives.WriteInt64LittleEndian(b[at..], keys[i]);
            BinaryPrimitives.WriteInt64LittleEndian(b[(at + 8)..], children[i]);
            at += 16;
        }
        BinaryPrimitives.WriteInt64LittleEndian(b[at..], keys[children.Length]);
        stream.Write(b);
        return address;
    }

    /// <summary>Sets the right sibling address of the B-tree node at <paramref name="node"/>.</summary>
    public void PatchRightSibling(long node, long rightSibling)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(b, rightSibling);
        WriteAt(node + 16, b);
    }

    /// <summary>
    /// III.E Global heap collection holding one object (index 1) of <paramref name="objectSize"/> bytes: writes the
    /// collection header ("GCOL", version 1, 3 reserved bytes, collection size) and the object's header (heap object
    /// index 2 bytes, reference count 2, reserved 4, object size 8). The caller then appends exactly
    /// <paramref name="objectSize"/> bytes and calls <see cref="EndGlobalHeapCollection"/>. Returns the collection's
    /// address (with object index 1, what a variable-length element points to).
    /// </summary>
    public long BeginGlobalHeapCollection(long objectSize)
    {
        var b = BeginStructure(32, out long address);
        "GCOL"u8.CopyTo(b);
        b[4] = 1;
        BinaryPrimitives.WriteInt64LittleEndian(b[8..], GlobalHeapCollectionSize(objectSize));
        BinaryPrimitives.WriteUInt16LittleEndian(b[16..], 1); // object index; reference count 0, as the library writes
        BinaryPrimitives.WriteInt64LittleEndian(b[24..], objectSize);
        stream.Write(b);
        return address;
    }

    /// <summary>
    /// Ends the collection begun at <paramref name="collection"/>: pads the object to a multiple of 8, then fills the
    /// collection up to its size (at least 4096 bytes) with the free-space object (index 0), whose size field counts
    /// its own 16-byte header and is not padded.
    /// </summary>
    public void EndGlobalHeapCollection(long collection, long objectSize)
    {
        long end = collection + GlobalHeapCollectionSize(objectSize);
        if (Position != collection + 32 + objectSize) throw new InvalidOperationException("the global heap object was not written whole");
        Align();
        long free = end - Position;
        if (free >= 16)
        {
            Span<byte> b = stackalloc byte[16];
            b.Clear();
            BinaryPrimitives.WriteInt64LittleEndian(b[8..], free);
            stream.Write(b);
            free -= 16;
        }
        Span<byte> zeros = stackalloc byte[256];
        zeros.Clear();
        for (; free > 0; free -= Math.Min(free, zeros.Length)) stream.Write(zeros[..(int)Math.Min(free, zeros.Length)]);
    }

    /// <summary>
    /// One element of a variable-length string dataset (IV.A.2.d, class 9): the string's length in bytes (4), then a
    /// global heap ID, the collection's address (8) and the object's index in it (4).
    /// </summary>
    public void WriteVariableLengthReference(int length, long collection, int objectIndex)
    {
        Span<byte> b = stackalloc byte[VariableLengthReferenceSize];
        BinaryPrimitives.WriteInt32LittleEndian(b, length);
        BinaryPrimitives.WriteInt64LittleEndian(b[4..], collection);
        BinaryPrimitives.WriteInt32LittleEndian(b[12..], objectIndex);
        stream.Write(b);
    }

    /// <summary>Writes buffered bytes to the file.</summary>
    public void Flush() => stream.Flush();

    /// <inheritdoc/>
    public void Dispose() => stream.Dispose();

    private static long GlobalHeapCollectionSize(long objectSize) => Math.Max(GlobalHeapMinimumSize, 16 + 16 + Pad8(objectSize));

    private void WriteAt(long position, ReadOnlySpan<byte> bytes)
    {
        long end = stream.Position;
        stream.Position = position;
        stream.Write(bytes);
        stream.Position = end;
    }

    /// <summary>
    /// IV.A.1.a Version 1 object header prefix (16 bytes): version 1, reserved, number of messages (2), object
    /// reference count 1 (4), size of the message data that follows (4), then 4 bytes of padding so the messages start
    /// 8-byte aligned.
    /// </summary>
    private static void EncodeObjectHeaderPrefix(Span<byte> b, int messages, int messageBytes)
    {
        b[0] = 1;
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], (ushort)messages);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], 1);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], (uint)messageBytes);
    }

    /// <summary>A message header (type, data size padded to 8, flags 0) before data already encoded; returns the total size.</summary>
    private static int EncodeMessage(Span<byte> b, ushort type, int dataSize)
    {
        int padded = (int)Pad8(dataSize);
        BinaryPrimitives.WriteUInt16LittleEndian(b, type);
        BinaryPrimitives.WriteUInt16LittleEndian(b[2..], (ushort)padded);
        return 8 + padded;
    }

    private static int EncodeDataspace(Span<byte> b, ReadOnlySpan<long> shape)
    {
        b[0] = 1; // version
        b[1] = (byte)shape.Length;
        for (int i = 0; i < shape.Length; i++)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(shape[i], nameof(shape));
            BinaryPrimitives.WriteInt64LittleEndian(b[(8 + 8 * i)..], shape[i]);
        }
        return 8 + 8 * shape.Length;
    }

    /// <summary>
    /// IV.A.2.d Datatype message: class and version (version 1 in the high nibble), 3 bytes of class bit field, element
    /// size (4), then the class's properties.
    /// <list type="bullet">
    /// <item>Float32: class 1 (floating point); bit field: little-endian, zero padding, mantissa normalization 2 (most
    /// significant bit implied), sign at bit 31; properties: bit offset 0, precision 32, exponent at bit 23 with 8 bits,
    /// mantissa at bit 0 with 23 bits, exponent bias 127.</item>
    /// <item>Variable-length UTF-8 string: class 9 (variable-length); bit field: type 1 (string), padding 0 (null
    /// terminate), character set 1 (UTF-8); size 16 (the reference, see <see cref="WriteVariableLengthReference"/>);
    /// property: the base type, itself a datatype message: class 0 (fixed-point), unsigned 8-bit, little-endian
    /// (the library's H5T_NATIVE_UCHAR), with bit offset 0 and precision 8.</item>
    /// </list>
    /// </summary>
    private static int EncodeDatatype(Span<byte> b, Hdf5ElementType type)
    {
        switch (type)
        {
            case Hdf5ElementType.Float32:
                b[0] = 0x11; // version 1, class 1
                b[1] = 0x20; // byte order LE (bit 0 = 0), padding 0, mantissa normalization 2 (bits 4-5)
                b[2] = 31; // sign location
                BinaryPrimitives.WriteUInt32LittleEndian(b[4..], 4);
                BinaryPrimitives.WriteUInt16LittleEndian(b[8..], 0); // bit offset
                BinaryPrimitives.WriteUInt16LittleEndian(b[10..], 32); // bit precision
                b[12] = 23; // exponent location
                b[13] = 8; // exponent size
                b[14] = 0; // mantissa location
                b[15] = 23; // mantissa size
                BinaryPrimitives.WriteUInt32LittleEndian(b[16..], 127); // exponent bias
                return 20;
            case Hdf5ElementType.VariableLengthUtf8String:
                b[0] = 0x19; // version 1, class 9
                b[1] = 0x01; // type 1 = string, padding type 0 = null terminate
                b[2] = 0x01; // character set 1 = UTF-8
                BinaryPrimitives.WriteUInt32LittleEndian(b[4..], VariableLengthReferenceSize);
                b[8] = 0x10; // base type: version 1, class 0 (fixed-point)
                b[9] = 0x00; // little-endian, zero padding, unsigned
                BinaryPrimitives.WriteUInt32LittleEndian(b[12..], 1);
                BinaryPrimitives.WriteUInt16LittleEndian(b[16..], 0); // bit offset
                BinaryPrimitives.WriteUInt16LittleEndian(b[18..], 8); // bit precision
                return 20;
            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
    }

    private static int EncodeFillValue(Span<byte> b)
    {
        b[0] = 2; // version
        b[1] = 2; // space allocation time: late
        b[2] = 2; // fill value write time: if set by the user
        b[3] = 0; // fill value not defined
        return 4;
    }

    private static int EncodeContiguousLayout(Span<byte> b, long address, long size)
    {
        b[0] = 3; // version
        b[1] = 1; // layout class: contiguous
        BinaryPrimitives.WriteInt64LittleEndian(b[2..], address);
        BinaryPrimitives.WriteInt64LittleEndian(b[10..], size);
        return 18;
    }

    /// <summary>III.C Symbol table entry: link name offset, object header address, cache type (4), reserved (4), scratch pad (16).</summary>
    private static void EncodeSymbolTableEntry(Span<byte> b, long linkNameOffset, long objectHeader, int cacheType, long bTree, long localHeap)
    {
        BinaryPrimitives.WriteInt64LittleEndian(b, linkNameOffset);
        BinaryPrimitives.WriteInt64LittleEndian(b[8..], objectHeader);
        BinaryPrimitives.WriteInt32LittleEndian(b[16..], cacheType);
        BinaryPrimitives.WriteInt32LittleEndian(b[20..], 0);
        BinaryPrimitives.WriteInt64LittleEndian(b[24..], cacheType == 1 ? bTree : 0);
        BinaryPrimitives.WriteInt64LittleEndian(b[32..], cacheType == 1 ? localHeap : 0);
    }
}
