using System.Runtime.InteropServices;

namespace ElmoNative;

/// <summary>
/// Context-independent token representations (layer 0: char CNN, highway, projection; [P] per token) keyed by the token's
/// character ids [W]: a bounded least-recently-used cache of the tokens seen lately, plus an optional preloaded
/// vocabulary that is never evicted (the <c>vocab</c> cache of bilm-tf / AllenNLP). A representation depends only on the
/// ids, so a hit gives the same bits the encoder would. Thread-safe: one lock, taken once per batch of lookups.
/// Once the cache is full, an insertion reuses the evicted entry's arrays (no allocation in steady state).
/// </summary>
internal sealed class TokenCache
{
    private readonly int width, dim;
    private readonly object gate = new();
    private readonly Dictionary<int[], Entry> entries = new(new IdsComparer());
    private readonly Dictionary<int[], Entry>.AlternateLookup<ReadOnlySpan<int>> bySpan;
    private Entry? newest, oldest; // the LRU list; pinned entries are not in it
    private int capacity, recent, pinned;
    private long hits, misses;

    /// <param name="width">W: ids per token.</param>
    /// <param name="dim">P: floats per representation.</param>
    /// <param name="capacity">Most tokens kept in the LRU part (0: no LRU caching).</param>
    public TokenCache(int width, int dim, int capacity)
    {
        this.width = width;
        this.dim = dim;
        bySpan = entries.GetAlternateLookup<ReadOnlySpan<int>>();
        Capacity = capacity;
    }

    /// <summary>Most tokens kept in the LRU part (the preloaded vocabulary is not counted); lowering it evicts.</summary>
    public int Capacity
    {
        get => capacity;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (gate)
            {
                capacity = value;
                while (recent > capacity) Remove(oldest!);
            }
        }
    }

    /// <summary>A snapshot of the counters.</summary>
    public TokenCacheStatistics Statistics
    {
        get
        {
            lock (gate) return new TokenCacheStatistics(hits, misses, recent, capacity, pinned);
        }
    }

    /// <summary>Whether lookups can ever hit (an LRU part or a preloaded vocabulary).</summary>
    public bool Enabled => capacity > 0 || pinned > 0;

    /// <summary>
    /// For each of the <paramref name="count"/> tokens in ids [count, W]: on a hit copies its representation into
    /// output [count, P] (row i); on a miss appends i to <paramref name="missing"/>. Returns the number of misses.
    /// </summary>
    public int Lookup(ReadOnlySpan<int> ids, int count, Span<float> output, Span<int> missing)
    {
        int missed = 0;
        lock (gate)
        {
            for (int i = 0; i < count; i++)
            {
                if (bySpan.TryGetValue(ids.Slice(i * width, width), out var entry))
                {
                    entry.Vector.CopyTo(output.Slice(i * dim, dim));
                    if (!entry.Pinned) MoveToFront(entry);
                    if (entry.Ahead)
                    {
                        entry.Ahead = false; // encoded ahead for this lookup: the miss it stood in for
                        misses++;
                    }
                    else hits++;
                }
                else
                {
                    missing[missed++] = i;
                    misses++;
                }
            }
        }
        return missed;
    }

    /// <summary>
    /// For each of the <paramref name="count"/> tokens in ids [count, W]: if cached, marks it as just used (so that
    /// tokens about to be looked up are not evicted first); if not, appends i to <paramref name="missing"/>. Returns the
    /// number not cached. Counts nothing: the lookups that follow do.
    /// </summary>
    public int Touch(ReadOnlySpan<int> ids, int count, Span<int> missing)
    {
        int missed = 0;
        lock (gate)
        {
            for (int i = 0; i < count; i++)
            {
                if (!bySpan.TryGetValue(ids.Slice(i * width, width), out var entry)) missing[missed++] = i;
                else if (!entry.Pinned) MoveToFront(entry);
            }
        }
        return missed;
    }

    /// <summary>Stores the representations [count, P] of the tokens ids [count, W] (LRU part; ids already present are skipped).</summary>
    public void Add(ReadOnlySpan<int> ids, int count, ReadOnlySpan<float> vectors) => Add(ids, count, vectors, pin: false);

    /// <summary>
    /// Stores representations encoded ahead of the lookups that will need them (<see cref="Add(ReadOnlySpan{int}, int, ReadOnlySpan{float})"/>, LRU part): the first
    /// lookup of each counts as a miss, as it would have without them, so that the counters stay those of the text.
    /// </summary>
    public void AddAhead(ReadOnlySpan<int> ids, int count, ReadOnlySpan<float> vectors) => Add(ids, count, vectors, pin: false, ahead: true);

    /// <summary>Stores representations that are never evicted (a preloaded vocabulary).</summary>
    public void Pin(ReadOnlySpan<int> ids, int count, ReadOnlySpan<float> vectors) => Add(ids, count, vectors, pin: true);

    /// <summary>Forgets every entry (preloaded ones too) and resets the counters.</summary>
    public void Clear()
    {
        lock (gate)
        {
            entries.Clear();
            newest = oldest = null;
            recent = pinned = 0;
            hits = misses = 0;
        }
    }

    private void Add(ReadOnlySpan<int> ids, int count, ReadOnlySpan<float> vectors, bool pin, bool ahead = false)
    {
        lock (gate)
        {
            for (int i = 0; i < count; i++)
            {
                if (bySpan.TryGetValue(ids.Slice(i * width, width), out var existing))
                {
                    if (pin && !existing.Pinned)
                    {
                        Unlink(existing);
                        recent--;
                        existing.Pinned = true;
                        pinned++;
                    }
                    continue;
                }
                if (!pin && capacity == 0) continue;

                Entry entry;
                if (!pin && recent == capacity)
                {
                    entry = oldest!; // reuse the least recently used entry and its arrays
                    Remove(entry);
                }
                else entry = new Entry(width, dim);
                ids.Slice(i * width, width).CopyTo(entry.Ids);
                vectors.Slice(i * dim, dim).CopyTo(entry.Vector);
                entry.Pinned = pin;
                entry.Ahead = ahead;
                entries.Add(entry.Ids, entry);
                if (pin) pinned++;
                else
                {
                    recent++;
                    MoveToFront(entry);
                }
            }
        }
    }

    private void Remove(Entry entry)
    {
        entries.Remove(entry.Ids);
        Unlink(entry);
        recent--;
    }

    private void MoveToFront(Entry entry)
    {
        if (newest == entry) return;
        Unlink(entry);
        entry.Newer = null;
        entry.Older = newest;
        if (newest is not null) newest.Newer = entry;
        newest = entry;
        oldest ??= entry;
    }

    private void Unlink(Entry entry)
    {
        if (entry.Newer is not null) entry.Newer.Older = entry.Older;
        else if (newest == entry) newest = entry.Older;
        if (entry.Older is not null) entry.Older.Newer = entry.Newer;
        else if (oldest == entry) oldest = entry.Newer;
        entry.Newer = entry.Older = null;
    }

    private sealed class Entry(int width, int dim)
    {
        public readonly int[] Ids = new int[width];
        public readonly float[] Vector = new float[dim];
        public Entry? Newer, Older;
        public bool Pinned;
        public bool Ahead; // added by AddAhead and not looked up since
    }

    /// <summary>Compares rows of ids by value; lookups may pass a span (a row of a batch buffer) instead of an array.</summary>
    private sealed class IdsComparer : IEqualityComparer<int[]>, IAlternateEqualityComparer<ReadOnlySpan<int>, int[]>
    {
        public bool Equals(int[]? x, int[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(int[] ids) => GetHashCode((ReadOnlySpan<int>)ids);

        public bool Equals(ReadOnlySpan<int> alternate, int[] other) => alternate.SequenceEqual(other);

        public int GetHashCode(ReadOnlySpan<int> alternate)
        {
            var hash = new HashCode();
            hash.AddBytes(MemoryMarshal.AsBytes(alternate));
            return hash.ToHashCode();
        }

        public int[] Create(ReadOnlySpan<int> alternate) => alternate.ToArray();
    }
}

/// <summary>Counters of the token-representation cache of an <see cref="ElmoModel"/>.</summary>
/// <param name="Hits">Lookups answered from the cache (LRU or preloaded vocabulary).</param>
/// <param name="Misses">Lookups that ran the character CNN.</param>
/// <param name="Count">Tokens in the LRU part.</param>
/// <param name="Capacity">Most tokens the LRU part keeps.</param>
/// <param name="Preloaded">Tokens of the preloaded vocabulary (never evicted).</param>
public readonly record struct TokenCacheStatistics(long Hits, long Misses, int Count, int Capacity, int Preloaded)
{
    /// <summary>Hits / (hits + misses), 0 before any lookup.</summary>
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);
}
