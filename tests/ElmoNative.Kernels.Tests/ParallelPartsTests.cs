namespace ElmoNative.Kernels.Tests;

/// <summary>A helper of ParallelParts runs its parts under the caller's thread limit, not the process-wide one.</summary>
public class ParallelPartsTests
{
    [Fact]
    public void HelpersRunPartsUnderTheCallersThreadLimit()
    {
        var limits = new int[2];
        var threadIds = new int[2];
        using var bothRunning = new CountdownEvent(2);
        bool together = false;
        using (KernelSettings.LimitCurrentThread(1))
        {
            // Each part waits for the other, so the two parts run on two threads: the caller and a pool helper (the wait
            // is only bounded so that a broken ParallelParts cannot hang the run).
            ParallelParts.For(2, 2, i =>
            {
                limits[i] = KernelSettings.ThreadsForCurrentThread;
                threadIds[i] = Environment.CurrentManagedThreadId;
                bothRunning.Signal();
                if (bothRunning.Wait(TimeSpan.FromMinutes(1))) Volatile.Write(ref together, true);
            });
            Assert.Equal(1, KernelSettings.ThreadsForCurrentThread);
        }
        Assert.True(together, "the two parts never ran at the same time");
        Assert.NotEqual(threadIds[0], threadIds[1]);
        Assert.Equal([1, 1], limits); // on the helper too (without the hand-over it would see MaxThreads)
    }
}
