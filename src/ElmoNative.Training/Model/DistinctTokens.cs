namespace ElmoNative.Training;

/// <summary>
/// Finds the distinct tokens (by their W character ids) among the rows of a window, so that the character CNN,
/// highway and projection run once per distinct token: an open-addressing hash table over the character rows,
/// preallocated for a maximum number of rows. Unknown words keep their spelling, so tokens are told apart by
/// characters, not by vocabulary id; an all-zero row (padding) is a token like any other.
/// </summary>
internal sealed class DistinctTokens
{
    private readonly int width;
    private readonly int[] table; // distinct index + 1, 0 = empty
    private readonly int mask;

    public DistinctTokens(int maxRows, int charsPerToken)
    {
        width = charsPerToken;
        int size = 1;
        while (size < 2 * maxRows) size <<= 1;
        table = new int[size];
        mask = size - 1;
        CharIds = new int[maxRows * charsPerToken];
    }

    /// <summary>[N, W] character ids of the distinct tokens, in order of first appearance.</summary>
    public int[] CharIds { get; }

    /// <summary>N: distinct tokens found since the last <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>Forgets every token.</summary>
    public void Clear()
    {
        Array.Clear(table);
        Count = 0;
    }

    /// <summary>The index of the token with character ids <paramref name="chars"/> [W], added if new.</summary>
    public int IndexOf(ReadOnlySpan<int> chars)
    {
        uint hash = 2166136261;
        foreach (int c in chars) hash = (hash ^ (uint)c) * 16777619;
        int slot = (int)(hash & (uint)mask);
        while (true)
        {
            int entry = table[slot];
            if (entry == 0)
            {
                int index = Count++;
                chars.CopyTo(CharIds.AsSpan(index * width, width));
                table[slot] = index + 1;
                return index;
            }
            if (CharIds.AsSpan((entry - 1) * width, width).SequenceEqual(chars)) return entry - 1;
            slot = (slot + 1) & mask;
        }
    }
}
