using System.Runtime.InteropServices;
using ElmoNative.Kernels;

namespace ElmoNative;

/// <summary>
/// Context-independent token representations (layer 0: char CNN, highway, projection; [P] per token) keyed by the token's
/// character ids [W]: a bounded least-recently-used cache of the tokens seen lately, plus an optional preloaded
/// vocabulary that is never evicted (the <c>vocab</c> cache of bilm-tf / AllenNLP). A representation depends only on the
/// ids, so a hit gives the same bits the encoder would. Thread-safe: one lock, taken once per batch of lookups.
/// <para>
/// Layout (docs/architecture.md, "Token cache"): each entry is a slot number. The ids and representations of the slots
/// sit in native chunks of <see cref="ChunkSlots"/> slots, outside the garbage-collected heap; an open-addressing hash
/// table of slot numbers finds them, and the LRU order is a doubly linked list of slot numbers in plain arrays. So the
/// cache is a handful of objects however many tokens it holds, and once it is full an insertion reuses the evicted
/// slot: no allocation in steady state, and nothing for the garbage collector to scan or move.
/// </para>
/// </summary>
internal sealed class TokenCache : IDisposable
{
    /// <summary>Slots per native chunk of ids and representations (the chunks are added as the cache grows).</summary>
    public const int ChunkSlots = 256;

    private const int None = -1;
    private const byte PinnedFlag = 1, AheadFlag = 2; // never evicted; encoded ahead and not looked up since

    private readonly int width, dim;
    private readonly object gate = new();
    private readonly List<NativeBuffer<int>> idChunks = [];
    private readonly List<NativeBuffer<float>> vectorChunks = [];
    private int[] table = []; // slot + 1 per bucket, 0 for an empty bucket; the length is a power of two
    private int[] hashes = [], newer = [], older = []; // per slot
    private byte[] flags = [];
    private readonly Stack<int> freeSlots = new();
    private int slots; // slots handed out so far (used or free)
    private int newest = None, oldest = None; // the LRU list; pinned slots are not in it
    private int capacity, recent, pinned;
    private long hits, misses;

    /// <param name="width">W: ids per token.</param>
    /// <param name="dim">P: floats per representation.</param>
    /// <param name="capacity">Most tokens kept in the LRU part (0: no LRU caching).</param>
    public TokenCache(int width, int dim, int capacity)
    {
        this.width = width;
        this.dim = dim;
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
                while (recent > capacity) Free(oldest);
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
                var key = ids.Slice(i * width, width);
                int slot = Find(key, Hash(key));
                if (slot == None)
                {
                    missing[missed++] = i;
                    misses++;
                    continue;
                }
                Vector(slot).CopyTo(output.Slice(i * dim, dim));
                if ((flags[slot] & PinnedFlag) == 0) MoveToFront(slot);
                if ((flags[slot] & AheadFlag) != 0)
                {
                    flags[slot] &= unchecked((byte)~AheadFlag); // encoded ahead for this lookup: the miss it stood in for
                    misses++;
                }
                else hits++;
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
                var key = ids.Slice(i * width, width);
                int slot = Find(key, Hash(key));
                if (slot == None) missing[missed++] = i;
                else if ((flags[slot] & PinnedFlag) == 0) MoveToFront(slot);
            }
        }
        return missed;
    }

    /// <summary>Stores the representations [count, P] of the tokens ids [count, W] (LRU part; ids already present are skipped).</summary>
    public void Add(ReadOnlySpan<int> ids, int count, ReadOnlySpan<float> vectors) => Add(ids, count, vectors, 0);

    /// <summary>
    /// Stores representations encoded ahead of the lookups that will need them (<see cref="Add(ReadOnlySpan{int}, int, ReadOnlySpan{float})"/>, LRU part): the first
    /// lookup of each counts as a miss, as it would have without them, so that the counters stay those of the text.
    /// </summary>
    public void AddAhead(ReadOnlySpan<int> ids, int count, ReadOnlySpan<float> vectors) => Add(ids, count, vectors, AheadFlag);

    /// <summary>Stores representations that are never evicted (a preloaded vocabulary).</summary>
    public void Pin(ReadOnlySpan<int> ids, int count, ReadOnlySpan<float> vectors) => Add(ids, count, vectors, PinnedFlag);

    /// <summary>Forgets every entry (preloaded ones too), frees their memory and resets the counters.</summary>
    public void Clear()
    {
        lock (gate)
        {
            ReleaseChunks();
            table = [];
            hashes = newer = older = [];
            flags = [];
            freeSlots.Clear();
            slots = recent = pinned = 0;
            newest = oldest = None;
            hits = misses = 0;
        }
    }

    /// <summary>Frees the native chunks; the cache is empty afterwards.</summary>
    public void Dispose() => Clear();

    private void Add(ReadOnlySpan<int> ids, int count, ReadOnlySpan<float> vectors, byte flag)
    {
        bool pin = flag == PinnedFlag;
        lock (gate)
        {
            for (int i = 0; i < count; i++)
            {
                var key = ids.Slice(i * width, width);
                int hash = Hash(key);
                int existing = Find(key, hash);
                if (existing != None)
                {
                    if (pin && (flags[existing] & PinnedFlag) == 0)
                    {
                        Unlink(existing);
                        recent--;
                        flags[existing] |= PinnedFlag;
                        pinned++;
                    }
                    continue;
                }
                if (!pin && capacity == 0) continue;

                int slot = !pin && recent == capacity ? Evict(oldest) : TakeSlot(); // a full cache reuses its least recently used slot
                key.CopyTo(Ids(slot));
                vectors.Slice(i * dim, dim).CopyTo(Vector(slot));
                hashes[slot] = hash;
                flags[slot] = flag;
                Insert(slot);
                if (pin) pinned++;
                else
                {
                    recent++;
                    newer[slot] = older[slot] = None;
                    MoveToFront(slot);
                }
            }
        }
    }

    private Span<int> Ids(int slot) => idChunks[slot / ChunkSlots].Get(ChunkSlots * width).Slice(slot % ChunkSlots * width, width);

    private Span<float> Vector(int slot) => vectorChunks[slot / ChunkSlots].Get(ChunkSlots * dim).Slice(slot % ChunkSlots * dim, dim);

    /// <summary>The slot holding <paramref name="key"/>, or <see cref="None"/>.</summary>
    private int Find(ReadOnlySpan<int> key, int hash)
    {
        if (table.Length == 0) return None;
        int mask = table.Length - 1;
        for (int b = hash & mask; table[b] != 0; b = (b + 1) & mask)
        {
            int slot = table[b] - 1;
            if (hashes[slot] == hash && key.SequenceEqual(Ids(slot))) return slot;
        }
        return None;
    }

    /// <summary>A slot for a new entry: a freed one, or the next one (adding a chunk and growing the arrays as needed).</summary>
    private int TakeSlot()
    {
        if (freeSlots.Count > 0) return freeSlots.Pop();
        int slot = slots++;
        if (slot % ChunkSlots == 0 && slot / ChunkSlots == idChunks.Count)
        {
            var ids = new NativeBuffer<int>();
            ids.Get(ChunkSlots * width);
            idChunks.Add(ids);
            var vectors = new NativeBuffer<float>();
            vectors.Get(ChunkSlots * dim);
            vectorChunks.Add(vectors);
        }
        if (slot == hashes.Length)
        {
            int length = Math.Max(ChunkSlots, 2 * hashes.Length);
            Array.Resize(ref hashes, length);
            Array.Resize(ref newer, length);
            Array.Resize(ref older, length);
            Array.Resize(ref flags, length);
        }
        return slot;
    }

    /// <summary>Removes the LRU slot <paramref name="slot"/> from the table and the list and returns it, to be reused.</summary>
    private int Evict(int slot)
    {
        Delete(slot);
        Unlink(slot);
        flags[slot] = 0;
        recent--;
        return slot;
    }

    /// <summary>Evicts the LRU slot <paramref name="slot"/> and keeps it for a later entry.</summary>
    private void Free(int slot) => freeSlots.Push(Evict(slot));

    /// <summary>Puts <paramref name="slot"/> into the hash table (kept at most half full).</summary>
    private void Insert(int slot)
    {
        if (2 * (recent + pinned + 1) > table.Length) Rehash(Math.Max(2 * ChunkSlots, 2 * table.Length));
        Place(slot);
    }

    /// <summary>Puts <paramref name="slot"/> in the first empty bucket of its probe run (the table has room).</summary>
    private void Place(int slot)
    {
        int mask = table.Length - 1, b = hashes[slot] & mask;
        while (table[b] != 0) b = (b + 1) & mask;
        table[b] = slot + 1;
    }

    /// <summary>Takes <paramref name="slot"/> out of the hash table, shifting later entries of its probe run back (no tombstones).</summary>
    private void Delete(int slot)
    {
        int mask = table.Length - 1, hole = hashes[slot] & mask;
        while (table[hole] != slot + 1) hole = (hole + 1) & mask;
        for (int b = (hole + 1) & mask; table[b] != 0; b = (b + 1) & mask)
        {
            int home = hashes[table[b] - 1] & mask;
            bool stays = hole <= b ? hole < home && home <= b : hole < home || home <= b; // home lies in (hole, b]
            if (stays) continue;
            table[hole] = table[b];
            hole = b;
        }
        table[hole] = 0;
    }

    private void Rehash(int length)
    {
        var old = table;
        table = new int[length];
        foreach (int entry in old)
            if (entry != 0) Place(entry - 1);
    }

    private void MoveToFront(int slot)
    {
        if (newest == slot) return;
        Unlink(slot);
        older[slot] = newest;
        if (newest != None) newer[newest] = slot;
        newest = slot;
        if (oldest == None) oldest = slot;
    }

    private void Unlink(int slot)
    {
        int n = newer[slot], o = older[slot];
        if (n != None) older[n] = o;
        else if (newest == slot) newest = o;
        if (o != None) newer[o] = n;
        else if (oldest == slot) oldest = n;
        newer[slot] = older[slot] = None;
    }

    private void ReleaseChunks()
    {
        foreach (var chunk in idChunks) chunk.Dispose();
        foreach (var chunk in vectorChunks) chunk.Dispose();
        idChunks.Clear();
        vectorChunks.Clear();
    }

    private static int Hash(ReadOnlySpan<int> ids)
    {
        var hash = new HashCode();
        hash.AddBytes(MemoryMarshal.AsBytes(ids));
        return hash.ToHashCode();
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
