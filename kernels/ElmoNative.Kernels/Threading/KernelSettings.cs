// The one thread budget of the tensor core: a kernel call may use KernelSettings.ThreadsForCurrentThread threads,
// i.e. the process-wide MaxThreads lowered by the innermost LimitCurrentThread scope of the calling thread. Every
// kernel reads it there (GEMM, convolution, packing), and the one fork-join, ParallelParts, carries the caller's
// limit to its helpers; a caller that already runs independent work side by side (the two directions of a biLM)
// limits each to its share with LimitCurrentThread.
namespace ElmoNative.Kernels;

/// <summary>Process-wide settings of the tensor core.</summary>
public static class KernelSettings
{
    private static int maxThreads = Environment.ProcessorCount;

    [ThreadStatic]
    private static int threadLimit; // 0: no limit on this thread

    /// <summary>
    /// Most threads a single kernel call may use (default: the machine's core count).
    /// Kernels only split work that is large enough to pay for the hand-off.
    /// </summary>
    public static int MaxThreads
    {
        get => maxThreads;
        set => maxThreads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxThreads must be at least 1.");
    }

    /// <summary>
    /// Threads a kernel call made on this thread may use: <see cref="MaxThreads"/>, lowered by the innermost
    /// <see cref="LimitCurrentThread"/> scope (e.g. 1 when two independent jobs already run side by side).
    /// </summary>
    public static int ThreadsForCurrentThread => threadLimit > 0 ? Math.Min(threadLimit, maxThreads) : maxThreads;

    /// <summary>
    /// Limits the kernel calls made on the calling thread to <paramref name="threads"/> threads until the returned scope
    /// is disposed (scopes nest; disposing restores the previous limit).
    /// </summary>
    /// <param name="threads">At least 1.</param>
    public static ThreadLimitScope LimitCurrentThread(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var scope = new ThreadLimitScope(threadLimit);
        threadLimit = threads;
        return scope;
    }

    /// <summary>Restores the previous per-thread limit when disposed (see <see cref="LimitCurrentThread"/>).</summary>
    public readonly struct ThreadLimitScope : IDisposable
    {
        private readonly int previous;

        internal ThreadLimitScope(int previous) => this.previous = previous;

        /// <summary>Restores the limit that was in force before the scope began.</summary>
        public void Dispose() => threadLimit = previous;
    }
}
