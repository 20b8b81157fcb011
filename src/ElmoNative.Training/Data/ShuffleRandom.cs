namespace ElmoNative.Training.Data;

/// <summary>
/// The random numbers of data shuffling: SplitMix64 (Steele, Lea and Flood 2014), seeded from (seed, pass, stream),
/// so that every pass over the data has its own order, reproducible without replaying earlier passes and independent
/// of the .NET version (unlike <see cref="Random"/>).
/// </summary>
internal sealed class ShuffleRandom
{
    private ulong state;

    /// <summary>The generator of pass <paramref name="pass"/>, stream <paramref name="stream"/> (-1: the file order; i: the sentences of file i).</summary>
    public ShuffleRandom(int seed, long pass, long stream)
    {
        state = Mix((ulong)(uint)seed ^ 0x243F6A8885A308D3UL);
        state = Mix(state ^ (ulong)pass);
        state = Mix(state ^ (ulong)stream);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        state += 0x9E3779B97F4A7C15UL;
        return Mix(state);
    }

    /// <summary>A uniform integer in [0, <paramref name="n"/>), without modulo bias (rejection).</summary>
    public int Below(int n)
    {
        ulong bound = (ulong)n;
        ulong limit = ulong.MaxValue - ulong.MaxValue % bound;
        ulong r;
        do r = Next(); while (r >= limit);
        return (int)(r % bound);
    }

    /// <summary>Fisher–Yates shuffle in place.</summary>
    public void Shuffle<T>(IList<T> items)
    {
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = Below(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
