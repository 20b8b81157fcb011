namespace ElmoNative.Output;

/// <summary>
/// The dataset names "0", "1", ..., "N-1" of an embedding file, without a list of them: where each name sits in the
/// group's local heap (computed from the number itself), and the order HDF5 keeps them in (byte-wise strcmp:
/// "0", "1", "10", "100", ..., "11", ..., "2", ...), enumerated one after the other.
/// <para>
/// Heap layout (HDF5 file format specification, III.D): offset 0 holds the empty string (padded to 8 bytes), then the names in numeric order,
/// each null-terminated and zero-padded to a multiple of 8 bytes: 8 bytes for up to 7 digits, 16 for 8 to 15.
/// </para>
/// </summary>
internal static class DecimalNames
{
    /// <summary>Heap bytes of a name of <paramref name="digits"/> characters: itself, its null, padding to 8.</summary>
    public static long PaddedSize(int digits) => Hdf5StreamWriter.Pad8(digits + 1);

    /// <summary>Number of decimal digits of <paramref name="value"/> (0 has one).</summary>
    public static int Digits(long value)
    {
        int digits = 1;
        for (long limit = 10; value >= limit && digits < 19; limit *= 10) digits++;
        return digits;
    }

    /// <summary>
    /// Offset in the local heap of the name of dataset <paramref name="index"/>; for index = N, the first byte after the
    /// N names (where the next name goes).
    /// </summary>
    public static long HeapOffset(long index)
    {
        long offset = 8; // the empty string
        long start = 0; // first number with the current digit count
        long next = 10; // first number with one digit more
        for (int digits = 1; ; digits++)
        {
            if (index < next) return offset + (index - start) * PaddedSize(digits);
            offset += (next - start) * PaddedSize(digits);
            start = next;
            next *= 10;
        }
    }

    /// <summary>
    /// Heap offset of the name of <paramref name="index"/> in a heap whose names are the numbers <paramref name="first"/>,
    /// <paramref name="first"/> + 1, ... (a shard's file, docs/scale-out.md): the empty string, then the names from
    /// <paramref name="first"/> on; for index = first + N, the first byte after the N names.
    /// </summary>
    public static long HeapOffset(long first, long index) => 8 + HeapOffset(index) - HeapOffset(first);

    /// <summary>Writes the names "0" to "<paramref name="count"/> - 1" as they sit in the heap, from offset 8 on.</summary>
    public static void WriteHeapNames(Hdf5StreamWriter file, long count) => WriteHeapNames(file, 0, count);

    /// <summary>Writes the names "<paramref name="first"/>" to "<paramref name="first"/> + <paramref name="count"/> - 1" as they sit in the heap, from offset 8 on.</summary>
    public static void WriteHeapNames(Hdf5StreamWriter file, long first, long count)
    {
        Span<byte> name = stackalloc byte[24];
        for (long i = first; i < first + count; i++)
        {
            name.Clear();
            i.TryFormat(name, out int digits, provider: System.Globalization.CultureInfo.InvariantCulture);
            file.WriteBytes(name[..(int)PaddedSize(digits)]);
        }
    }

    /// <summary>
    /// Steps through <c>first</c> .. <c>first + count - 1</c> in the strcmp order of their decimal names: a preorder walk
    /// of the decimal trie ("0" alone, then the roots "1" to "9", each number's children being number * 10 + 0..9) that
    /// only enters a node whose subtree holds a number of the range (<see cref="Reaches"/>). Numbers of the same length
    /// come in increasing order, which <see cref="EmbeddingFileWriter"/> uses to read the object header addresses
    /// sequentially.
    /// </summary>
    public struct StrcmpOrder
    {
        private readonly long low, high;
        private long current;
        private bool started, ended;

        /// <summary>The numbers 0 .. <paramref name="count"/> - 1.</summary>
        public StrcmpOrder(long count)
            : this(0, count)
        {
        }

        /// <summary>The numbers <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> - 1.</summary>
        public StrcmpOrder(long first, long count)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(first);
            ArgumentOutOfRangeException.ThrowIfNegative(count);
            low = first;
            high = first + count - 1;
            ended = count == 0;
            current = -1;
        }

        /// <summary>The number just reached.</summary>
        public readonly long Current => current;

        /// <summary>Steps to the next number; false after the last one.</summary>
        public bool MoveNext()
        {
            if (ended) return false;
            long v;
            if (!started)
            {
                started = true;
                if (low == 0)
                {
                    current = 0; // "0" comes first
                    return true;
                }
                v = 0; // the walk goes on from "0"'s place: its siblings are the roots 1..9
            }
            else
            {
                v = current;
            }
            while (true)
            {
                long next = -1;
                // Down: the first child whose subtree reaches the range.
                if (v > 0 && v <= high / 10)
                {
                    for (long c = v * 10; c <= v * 10 + 9; c++)
                    {
                        if (Reaches(c))
                        {
                            next = c;
                            break;
                        }
                    }
                }
                // Else across, climbing up past the last sibling: the next sibling whose subtree reaches the range.
                while (next < 0)
                {
                    long lastSibling = v < 10 ? 9 : v / 10 * 10 + 9;
                    for (long s = v + 1; s <= lastSibling; s++)
                    {
                        if (Reaches(s))
                        {
                            next = s;
                            break;
                        }
                    }
                    if (next >= 0) break;
                    if (v < 10)
                    {
                        ended = true; // past the last root
                        return false;
                    }
                    v /= 10;
                }
                v = next;
                if (v >= low && v <= high)
                {
                    current = v;
                    return true;
                }
            }
        }

        /// <summary>Whether the subtree of <paramref name="v"/> (v, its numbers with 1, 2, ... more digits) holds a number of the range.</summary>
        private readonly bool Reaches(long v)
        {
            for (long from = v, to = v; from <= high; from *= 10, to = to * 10 + 9)
            {
                if (to >= low) return true;
                if (from > long.MaxValue / 10) break;
            }
            return false;
        }
    }
}
