namespace ElmoNative.Kernels;

/// <summary>Process-wide settings of the tensor core.</summary>
public static class KernelSettings
{
    private static int maxThreads = Environment.ProcessorCount;

    /// <summary>
    /// Most threads a single kernel call may use (default: the machine's core count).
    /// Kernels only split work that is large enough to pay for the hand-off.
    /// </summary>
    public static int MaxThreads
    {
        get => maxThreads;
        set => maxThreads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "MaxThreads must be at least 1.");
    }
}
