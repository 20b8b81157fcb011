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
