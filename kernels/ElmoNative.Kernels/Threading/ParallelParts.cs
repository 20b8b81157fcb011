// Fork-join over a few coarse parts without allocating: the calling thread and up to (threads - 1) thread-pool
// helpers claim parts from a shared counter until none is left, so the caller never waits for a helper that has
// not started yet (on a busy machine it simply runs every part itself); it waits only for parts already running.
// A helper runs its parts under the caller's thread limit (KernelSettings.ThreadsForCurrentThread of the calling
// thread), so a kernel called inside a part uses no more threads than it would have on the caller.
// Job objects are cached per calling thread (a few) and reused once every helper queued for them has left; a helper
// that starts after the call finished finds no part to claim and leaves.
using System.Runtime.ExceptionServices;

namespace ElmoNative.Kernels;

/// <summary>Runs parts 0 .. n-1 of a job on the calling thread and thread-pool helpers, allocation-free in steady state.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Jobs are cached per calling thread for the life of the process and reused; their event is never disposed on purpose.")]
public sealed class ParallelParts : IThreadPoolWorkItem
{
    [ThreadStatic]
    private static ParallelParts?[]? cached; // a few jobs per calling thread: a helper may still be leaving the last one

    private readonly ManualResetEventSlim done = new(false, spinCount: 200);
    private Action<int>? body;
    private int parts;
    private int next;
    private int remaining;
    private int helpers; // helpers queued and not yet left
    private bool running; // a call on the owning thread is in progress (a part may itself call For)
    private int threadLimit; // the caller's KernelSettings.ThreadsForCurrentThread, applied on the helpers
    private ExceptionDispatchInfo? error;

    /// <summary>
    /// Test hook: called on the executing thread with true just before a part runs and with false just after it
    /// (also when For runs every part on the caller). Null outside tests.
    /// </summary>
    internal static Action<bool>? PartObserver;

    /// <summary>Test hook: called on the caller with the thread count of every call that hands parts to helpers. Null outside tests.</summary>
    internal static Action<int>? ForkObserver;

    private ParallelParts()
    {
    }

    /// <summary>
    /// Calls <paramref name="body"/>(i) once for every i in [0, <paramref name="parts"/>), on at most
    /// <paramref name="threads"/> threads including the caller, and returns when all calls have returned.
    /// The first exception thrown by a part is rethrown on the caller (after every part has finished).
    /// Pass a cached delegate to keep the call allocation-free.
    /// </summary>
    public static void For(int parts, int threads, Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(parts);
        threads = Math.Min(threads, parts);
        if (threads <= 1)
        {
            var observer = PartObserver;
            for (int i = 0; i < parts; i++)
            {
                observer?.Invoke(true);
                try { body(i); }
                finally { observer?.Invoke(false); }
            }
            return;
        }
        ForkObserver?.Invoke(threads);
        var job = Free();
        job.running = true;
        job.body = body;
        job.parts = parts;
        job.next = 0;
        job.remaining = parts;
        job.error = null;
        job.threadLimit = KernelSettings.ThreadsForCurrentThread;
        job.done.Reset();
        job.helpers = threads - 1;
        for (int h = 1; h < threads; h++) ThreadPool.UnsafeQueueUserWorkItem(job, preferLocal: false);
        job.Work();
        job.done.Wait();
        job.body = null;
        job.running = false;
        job.error?.Throw();
    }

    /// <summary>A cached job of this thread that no call uses and no helper still holds (a new one if all are taken).</summary>
    private static ParallelParts Free()
    {
        var jobs = cached ??= new ParallelParts?[4];
        for (int i = 0; i < jobs.Length; i++)
        {
            var job = jobs[i] ??= new ParallelParts();
            if (!job.running && Volatile.Read(ref job.helpers) == 0) return job;
        }
        return new ParallelParts();
    }

    /// <inheritdoc/>
    void IThreadPoolWorkItem.Execute()
    {
        using (KernelSettings.LimitCurrentThread(threadLimit)) Work();
        Interlocked.Decrement(ref helpers);
    }

    private void Work()
    {
        int i;
        var observer = PartObserver;
        while ((i = Interlocked.Increment(ref next) - 1) < parts)
        {
            try
            {
                observer?.Invoke(true);
                try { body!(i); }
                finally { observer?.Invoke(false); }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref error, ExceptionDispatchInfo.Capture(e), null);
            }
            if (Interlocked.Decrement(ref remaining) == 0) done.Set();
        }
    }
}
