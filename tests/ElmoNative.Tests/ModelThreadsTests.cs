using System.Collections.Concurrent;
using ElmoNative.Kernels;
using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests;

/// <summary>
/// Tests that watch every kernel fork of the process (through ParallelParts' test hook) or count the process's garbage
/// collections: they run alone, after the parallel tests.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessWideCollection
{
    public const string Name = "process-wide";
}

/// <summary>
/// <see cref="ElmoModel.Threads"/> is per model. The kernels hand work to other threads only through ParallelParts
/// (the two LSTM directions, split GEMMs), whose test hook sees every part run. A model with Threads = 1 runs no part
/// off the calling thread (it does not fork at all), while the same work with Threads = 2 does fork (so the batch is
/// large enough for the check to mean something) with never more than two threads inside parts at once; the vectors
/// are identical bit for bit.
/// </summary>
[Collection(ProcessWideCollection.Name)]
public class ModelThreadsTests
{
    /// <summary>Records the threads that run kernel parts and the most that are inside a part at the same time.</summary>
    private sealed class PartWatcher : IDisposable
    {
        private readonly ConcurrentDictionary<int, int> depth = new();
        private readonly object gate = new();
        private int inside;

        public PartWatcher()
        {
            ParallelParts.PartObserver = Observe;
            ParallelParts.ForkObserver = threads => Forks.Add(threads);
        }

        /// <summary>The thread count of every fork (a call that hands parts to helpers).</summary>
        public ConcurrentBag<int> Forks { get; } = [];

        public ConcurrentDictionary<int, byte> Threads { get; } = new();

        public int MostAtOnce { get; private set; }

        public int Parts { get; private set; }

        private void Observe(bool entering)
        {
            int id = Environment.CurrentManagedThreadId;
            lock (gate)
            {
                int d = depth.GetValueOrDefault(id);
                if (entering)
                {
                    Parts++;
                    Threads[id] = 0;
                    if (d == 0) MostAtOnce = Math.Max(MostAtOnce, ++inside);
                    depth[id] = d + 1;
                }
                else
                {
                    depth[id] = d - 1;
                    if (d == 1) inside--;
                }
            }
        }

        public void Dispose()
        {
            ParallelParts.PartObserver = null;
            ParallelParts.ForkObserver = null;
        }
    }

    /// <summary>A batch large enough that the LSTM GEMMs of the default model (H = 384) are split when two threads are allowed.</summary>
    private static IReadOnlyList<string>[] Batch() =>
        Enumerable.Range(0, 24).Select(i => (IReadOnlyList<string>)TestSentences.RandomSentence(new Random(100 + i), 4 + i % 17)).ToArray();

    private static (ElmoBatchOutput Output, PartWatcher Watcher) Run(ElmoModel model, IReadOnlyList<IReadOnlyList<string>> batch)
    {
        var watcher = new PartWatcher();
        try
        {
            return (model.Embed(batch), watcher);
        }
        finally
        {
            watcher.Dispose();
        }
    }

    /// <summary>
    /// The shipped model's kernel GEMMs are below GemmParallel's bound for forking (chosen for the big shapes); these
    /// tests lower it to 4 M flops so that its GEMMs fork when two threads are allowed. Other tests running meanwhile may
    /// fork more, which changes no bits.
    /// </summary>
    private static T WithSmallGemmsForking<T>(Func<T> body)
    {
        ElmoNative.Kernels.Gemm.GemmParallel.MinParallelFlops = 1L << 22;
        try
        {
            return body();
        }
        finally
        {
            ElmoNative.Kernels.Gemm.GemmParallel.MinParallelFlops = ElmoNative.Kernels.Gemm.GemmParallel.DefaultMinParallelFlops;
        }
    }

    [Fact]
    public void OneThreadRunsEveryKernelPartOnTheCallerAndEqualsTwoThreadsBitForBit() => WithSmallGemmsForking(() =>
    {
        var batch = Batch();
        using var single = ElmoModel.LoadDefault(new ElmoLoadOptions { Threads = 1 });
        using var dual = ElmoModel.LoadDefault(new ElmoLoadOptions { Threads = 2 });
        Assert.Equal(1, single.Threads);
        Assert.Equal(2, dual.Threads);
        single.TokenCacheCapacity = 0; // every token through the character CNN (its GEMMs too)
        dual.TokenCacheCapacity = 0;

        var (one, watchOne) = Run(single, batch);
        Assert.Empty(watchOne.Forks);
        Assert.All(watchOne.Threads.Keys, id => Assert.Equal(Environment.CurrentManagedThreadId, id));
        Assert.InRange(watchOne.MostAtOnce, 0, 1);

        var (two, watchTwo) = Run(dual, batch);
        Assert.True(watchTwo.Forks.Count > 1, "Threads = 2 did not fork: the batch is too small for this test to mean anything");
        Assert.All(watchTwo.Forks, threads => Assert.Equal(2, threads));
        Assert.InRange(watchTwo.MostAtOnce, 1, 2);

        Assert.Equal(one.Size, two.Size);
        Assert.True(Compare.BitIdentical(one.Activations.AsSpan(0, one.Size), two.Activations.AsSpan(0, two.Size)));

        // The other way round on the same models: the count belongs to the model, not to the process or the thread.
        single.Threads = 2;
        dual.Threads = 1;
        var (again, watchAgain) = Run(dual, batch);
        Assert.Empty(watchAgain.Forks);
        Assert.All(watchAgain.Threads.Keys, id => Assert.Equal(Environment.CurrentManagedThreadId, id));
        Assert.True(Compare.BitIdentical(one.Activations.AsSpan(0, one.Size), again.Activations.AsSpan(0, again.Size)));
        var (swapped, watchSwapped) = Run(single, batch);
        Assert.NotEmpty(watchSwapped.Forks);
        Assert.InRange(watchSwapped.MostAtOnce, 1, 2);
        Assert.True(Compare.BitIdentical(one.Activations.AsSpan(0, one.Size), swapped.Activations.AsSpan(0, swapped.Size)));
        Assert.Equal(Environment.ProcessorCount, KernelSettings.MaxThreads); // nothing process-wide was changed
        return 0;
    });

    [Fact]
    public void TokenEmbeddingsOnOneThreadStayOnTheCaller() => WithSmallGemmsForking(() =>
    {
        using var model = ElmoModel.LoadDefault(new ElmoLoadOptions { Threads = 1, TokenCacheCapacity = 0 });
        var tokens = Enumerable.Range(0, 400).Select(i => "token" + i).ToArray();
        float[] Embed(out PartWatcher watcher)
        {
            watcher = new PartWatcher();
            try
            {
                return model.EmbedTokens(tokens);
            }
            finally
            {
                watcher.Dispose();
            }
        }
        var one = Embed(out var watchOne);
        Assert.Empty(watchOne.Forks);
        Assert.All(watchOne.Threads.Keys, id => Assert.Equal(Environment.CurrentManagedThreadId, id));
        model.Threads = 2;
        var two = Embed(out var watchTwo);
        Assert.True(!watchTwo.Forks.IsEmpty, "Threads = 2 did not fork: too few tokens for this test to mean anything");
        Assert.All(watchTwo.Forks, threads => Assert.Equal(2, threads));
        Assert.InRange(watchTwo.MostAtOnce, 1, 2);
        Assert.True(Compare.BitIdentical(one, two));
        return 0;
    });

    [Fact]
    public void ThreadsBelowOneAreRejected()
    {
        using var model = ElmoModel.LoadDefault();
        Assert.Equal(Environment.ProcessorCount, model.Threads);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Threads = 0);
        Assert.Throws<ArgumentOutOfRangeException>(() => ElmoModel.LoadDefault(new ElmoLoadOptions { Threads = 0 }));
    }
}

/// <summary>Loading a model forces no garbage collection (it used to end with a blocking, compacting full collection).</summary>
[Collection(ProcessWideCollection.Name)]
public class LoadCollectionTests
{
    [Fact]
    public void LoadingDoesNotCollectGenerationTwo()
    {
        // Runs alone (no other test allocates meanwhile); a full collection first leaves a fresh generation-2 budget,
        // which loading the 15 MB default model is far from exhausting: the weights are packed into native memory and a
        // load allocates about 1 MB of managed memory (not even a generation-0 collection). A forced collection, as
        // Load and WeightSource made before, shows as at least one more generation-2 collection.
        using (ElmoModel.LoadDefault()) { } // JIT and first-use allocations outside the measured loads
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        int before = GC.CollectionCount(2);
        for (int i = 0; i < 3; i++)
        {
            using var model = ElmoModel.LoadDefault();
            Assert.Equal(256, model.Dim);
        }
        Assert.Equal(before, GC.CollectionCount(2));
    }
}
