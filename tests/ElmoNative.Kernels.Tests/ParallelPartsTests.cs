using System.Collections.Concurrent;

namespace ElmoNative.Kernels.Tests;

/// <summary>ParallelParts runs every part once, and a helper runs its parts under the caller's thread limit.</summary>
public class ParallelPartsTests
{
    [Fact]
    public void HelpersRunPartsUnderTheCallersThreadLimit()
    {
        const int parts = 64;
        var limits = new int[parts];
        var runs = new int[parts];
        var threads = new ConcurrentDictionary<int, byte>();
        using (KernelSettings.LimitCurrentThread(1))
        {
            ParallelParts.For(parts, 2, i =>
            {
                Interlocked.Increment(ref runs[i]);
                limits[i] = KernelSettings.ThreadsForCurrentThread; // 1 on a helper too, not the process-wide MaxThreads
                threads[Environment.CurrentManagedThreadId] = 0;
                Thread.SpinWait(20_000); // long enough parts that a helper usually joins
            });
            Assert.Equal(1, KernelSettings.ThreadsForCurrentThread);
        }
        Assert.All(runs, r => Assert.Equal(1, r));
        Assert.All(limits, l => Assert.Equal(1, l));
        Assert.InRange(threads.Count, 1, 2);
    }
}
