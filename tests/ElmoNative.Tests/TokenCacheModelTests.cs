using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ElmoNative.Tests;

/// <summary>
/// <see cref="TokenCache"/> (slots in native chunks, open-addressing table with deletion by back-shift, LRU list of slot
/// numbers) against a naive reference (a dictionary and a list in recency order): random sequences of every operation
/// must give the same outputs, misses and counters. Keys come from a small universe, so that the table sees long probe
/// runs, many deletions and slot reuse.
/// </summary>
public class TokenCacheModelTests
{
    private const int Width = 3, Dim = 2;

    /// <summary>The reference: what the cache must behave like, written for clarity only.</summary>
    private sealed class NaiveCache(int capacity)
    {
        private readonly Dictionary<string, (float[] Vector, bool Pinned, bool Ahead)> entries = [];
        private readonly List<string> recency = []; // most recent first; LRU entries only
        public int Capacity = capacity;
        public long Hits, Misses;

        public int Pinned => entries.Count(e => e.Value.Pinned);

        public TokenCacheStatistics Statistics => new(Hits, Misses, recency.Count, Capacity, Pinned);

        public void SetCapacity(int value)
        {
            Capacity = value;
            while (recency.Count > Capacity) Evict();
        }

        public int Lookup(int[][] keys, float[] output, int[] missing)
        {
            int missed = 0;
            for (int i = 0; i < keys.Length; i++)
            {
                string k = Key(keys[i]);
                if (!entries.TryGetValue(k, out var e)) { missing[missed++] = i; Misses++; continue; }
                e.Vector.CopyTo(output, i * Dim);
                if (!e.Pinned) Front(k);
                if (e.Ahead) { entries[k] = e with { Ahead = false }; Misses++; }
                else Hits++;
            }
            return missed;
        }

        public int Touch(int[][] keys, int[] missing)
        {
            int missed = 0;
            for (int i = 0; i < keys.Length; i++)
            {
                string k = Key(keys[i]);
                if (!entries.TryGetValue(k, out var e)) missing[missed++] = i;
                else if (!e.Pinned) Front(k);
            }
            return missed;
        }

        public void Add(int[][] keys, float[] vectors, bool pin, bool ahead)
        {
            for (int i = 0; i < keys.Length; i++)
            {
                string k = Key(keys[i]);
                if (entries.TryGetValue(k, out var e))
                {
                    if (pin && !e.Pinned) { recency.Remove(k); entries[k] = e with { Pinned = true }; }
                    continue;
                }
                if (!pin && Capacity == 0) continue;
                if (!pin && recency.Count == Capacity) Evict();
                entries[k] = (vectors.AsSpan(i * Dim, Dim).ToArray(), pin, ahead);
                if (!pin) recency.Insert(0, k);
            }
        }

        public void Clear()
        {
            entries.Clear();
            recency.Clear();
            Hits = Misses = 0;
        }

        private void Front(string k)
        {
            recency.Remove(k);
            recency.Insert(0, k);
        }

        private void Evict()
        {
            entries.Remove(recency[^1]);
            recency.RemoveAt(recency.Count - 1);
        }

        private static string Key(int[] ids) => string.Join(',', ids);
    }

    [Property(MaxTest = 60)]
    public Property BehavesAsANaiveLruCache() => Prop.ForAll(
        Gen.Choose(0, int.MaxValue).ToArbitrary(),
        seed =>
        {
            var random = new Random(seed);
            int universe = random.Next(1, 1500), capacity = random.Next(0, 700);
            using var cache = new TokenCache(Width, Dim, capacity);
            var naive = new NaiveCache(capacity);
            int[] Key() => [random.Next(universe), random.Next(3), 7];
            for (int step = 0; step < 400; step++)
            {
                int n = random.Next(0, 40);
                var keys = Enumerable.Range(0, n).Select(_ => Key()).ToArray();
                var flat = keys.SelectMany(k => k).ToArray();
                // A key's vector is a function of the key, as the encoder's is.
                var vectors = keys.SelectMany(k => new[] { k[0] * 0.5f, k[1] - 1f }).ToArray();
                int op = random.Next(100);
                string context = $"seed {seed}, step {step}, op {op}";
                if (op < 35)
                {
                    float[] expected = new float[n * Dim], actual = new float[n * Dim];
                    int[] expectedMissing = new int[n], actualMissing = new int[n];
                    int e = naive.Lookup(keys, expected, expectedMissing), a = cache.Lookup(flat, n, actual, actualMissing);
                    Assert.Equal(e, a);
                    Assert.Equal(expectedMissing[..e], actualMissing[..a]);
                    for (int i = 0; i < n; i++)
                        if (!expectedMissing.AsSpan(0, e).Contains(i))
                            Assert.True(expected.AsSpan(i * Dim, Dim).SequenceEqual(actual.AsSpan(i * Dim, Dim)), context);
                }
                else if (op < 50)
                {
                    int[] expectedMissing = new int[n], actualMissing = new int[n];
                    int e = naive.Touch(keys, expectedMissing), a = cache.Touch(flat, n, actualMissing);
                    Assert.Equal(e, a);
                    Assert.Equal(expectedMissing[..e], actualMissing[..a]);
                }
                else if (op < 80) { naive.Add(keys, vectors, pin: false, ahead: false); cache.Add(flat, n, vectors); }
                else if (op < 90) { naive.Add(keys, vectors, pin: false, ahead: true); cache.AddAhead(flat, n, vectors); }
                else if (op < 95) { naive.Add(keys, vectors, pin: true, ahead: false); cache.Pin(flat, n, vectors); }
                else if (op < 99) { int c = random.Next(0, 700); naive.SetCapacity(c); cache.Capacity = c; }
                else { naive.Clear(); cache.Clear(); }
                Assert.Equal(naive.Statistics, cache.Statistics);
            }
            return true;
        });

    [Fact]
    public void TheRepresentationsLiveOutsideTheManagedHeap()
    {
        const int width = 50, dim = 512, count = 2000;
        var ids = new int[count * width];
        for (int i = 0; i < count; i++) { ids[i * width] = i; ids[i * width + 1] = i >> 8; }
        var vectors = new float[count * dim];
        using var cache = new TokenCache(width, dim, count);
        cache.Add(ids.AsSpan(0, width), 1, vectors.AsSpan(0, dim)); // the first chunk and the arrays
        long before = GC.GetAllocatedBytesForCurrentThread();
        cache.Add(ids, count, vectors);
        long managed = GC.GetAllocatedBytesForCurrentThread() - before;
        // 2,000 entries of 2 KB representations and 200 B of ids: 4.5 MB in native chunks; the managed side only grows
        // its per-slot arrays and hash table (about 40 bytes a slot).
        Assert.True(managed < count * 64, $"{managed} managed bytes for {count} entries");
        Assert.Equal(count, cache.Statistics.Count);
        // A full cache reuses the evicted slots: nothing more is allocated.
        for (int i = 0; i < ids.Length; i += width) ids[i] += count;
        before = GC.GetAllocatedBytesForCurrentThread();
        cache.Add(ids, count, vectors);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(count, cache.Statistics.Count);
    }
}
