namespace ElmoNative.Output;

/// <summary>
/// The text and token arrays of the sentences an embed has read and not yet written, reused once they are written:
/// a long input is read without a string or an array per line (docs/architecture.md, "Streaming without garbage").
/// <see cref="Keep"/> copies a line's text into a shared character block and <see cref="TokenArray"/> lends an array
/// of exact length; <see cref="Recycle"/> takes both back when every sentence read so far has been written. Until then
/// what they gave stays valid (a block that must grow is replaced, not overwritten). Not thread-safe.
/// </summary>
internal sealed class SentenceArena
{
    private char[] text = new char[1 << 16];
    private int textUsed;
    private readonly List<string[]> lent = [];
    private readonly List<Stack<string[]>> free = []; // index: array length

    /// <summary>A copy of <paramref name="chars"/>, valid until <see cref="Recycle"/>.</summary>
    public ReadOnlyMemory<char> Keep(ReadOnlySpan<char> chars)
    {
        if (textUsed + chars.Length > text.Length)
        {
            // Earlier sentences keep the old block alive; the next round starts in the larger one.
            text = new char[Math.Max(2 * text.Length, chars.Length)];
            textUsed = 0;
        }
        chars.CopyTo(text.AsSpan(textUsed));
        var kept = text.AsMemory(textUsed, chars.Length);
        textUsed += chars.Length;
        return kept;
    }

    /// <summary>An array of <paramref name="length"/> tokens, lent until <see cref="Recycle"/>.</summary>
    public string[] TokenArray(int length)
    {
        while (free.Count <= length) free.Add(new Stack<string[]>());
        var array = free[length].TryPop(out var reused) ? reused : new string[length];
        lent.Add(array);
        return array;
    }

    /// <summary>Takes back every block and array handed out: the caller no longer reads any of them.</summary>
    public void Recycle()
    {
        textUsed = 0;
        foreach (var array in lent) free[array.Length].Push(array);
        lent.Clear();
    }
}
