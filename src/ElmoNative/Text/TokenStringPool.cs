using System.Numerics;

namespace ElmoNative.Text;

/// <summary>
/// A bounded pool of token strings for a stream of text: the same characters give back the same string while it keeps
/// its slot, so reading text allocates a string only for a token not seen lately instead of one per token read (word
/// frequencies are Zipfian: a few thousand types cover most of the tokens). Direct-mapped by hash, no eviction order:
/// a token whose slot another has taken is simply allocated again. Not thread-safe; one pool per reader.
/// </summary>
internal sealed class TokenStringPool
{
    private readonly string?[] slots;

    /// <summary>A pool of <paramref name="slotCount"/> slots (rounded up to a power of two): 65,536 by default, 512 KB of references.</summary>
    public TokenStringPool(int slotCount = 1 << 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slotCount, 1);
        slots = new string?[(int)BitOperations.RoundUpToPowerOf2((uint)slotCount)];
    }

    /// <summary>The string of <paramref name="chars"/>: the pooled instance if its slot holds these characters, else a new one put there.</summary>
    public string Get(ReadOnlySpan<char> chars)
    {
        ref string? slot = ref slots[string.GetHashCode(chars, StringComparison.Ordinal) & (slots.Length - 1)];
        if (slot is not null && chars.SequenceEqual(slot)) return slot;
        return slot = new string(chars);
    }
}
