namespace ElmoNative.KneserNey;

/// <summary>
/// What one context of one order holds: the sum of its continuations' (adjusted) counts and how many continuations
/// have count 1, 2 and 3 or more (these give the weight of the lower order).
/// </summary>
internal struct ContextStatistics
{
    /// <summary>Sum over the words w of the count of (context, w).</summary>
    public long Total;

    /// <summary>Continuations of count 1.</summary>
    public int Ones;

    /// <summary>Continuations of count 2.</summary>
    public int Twos;

    /// <summary>Continuations of count 3 or more.</summary>
    public int ThreesOrMore;

    /// <summary>Adds a continuation of count <paramref name="count"/> (at least 1).</summary>
    public void Add(long count)
    {
        Total += count;
        if (count == 1) Ones++;
        else if (count == 2) Twos++;
        else ThreesOrMore++;
    }
}
