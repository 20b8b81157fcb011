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

    /// <summary>Writes the names "0" to "<paramref name="count"/> - 1" as they sit in the heap, from offset 8 on.</summary>
    public static void WriteHeapNames(Hdf5StreamWriter file, long count)
    {
        Span<byte> name = stackalloc byte[24];
        for (long i = 0; i < count; i++)
        {
            name.Clear();
            i.TryFormat(name, out int digits, provider: System.Globalization.CultureInfo.InvariantCulture);
            file.WriteBytes(name[..(int)PaddedSize(digits)]);
        }
    }

    /// <summary>
    /// Steps through 0 .. count - 1 in the strcmp order of their decimal names: a preorder walk of the decimal trie
    /// (go to value * 10 while it exists; else to the next sibling, climbing up past the last digit 9 or the end).
    /// Numbers of the same length come in increasing order, which <see cref="EmbeddingFileWriter"/> uses to read the
    /// object header addresses sequentially.
    /// </summary>
    public struct StrcmpOrder(long count)
    {
        private long current = -1;

        /// <summary>The number just reached.</summary>
        public readonly long Current => current;

        /// <summary>Steps to the next number; false after the last one.</summary>
        public bool MoveNext()
        {
            long last = count - 1;
            if (current < 0)
            {
                if (count == 0) return false;
                current = 0; // "0" comes first
                return true;
            }
            if (current == 0)
            {
                if (last < 1) return false;
                current = 1;
                return true;
            }
            if (current <= last / 10)
            {
                current *= 10;
                return true;
            }
            while (current % 10 == 9 || current + 1 > last)
            {
                current /= 10;
                if (current == 0) return false;
            }
            current++;
            return true;
        }
    }
}
