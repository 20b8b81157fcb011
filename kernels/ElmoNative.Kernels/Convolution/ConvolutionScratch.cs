namespace ElmoNative.Kernels;

/// <summary>
/// Scratch of <see cref="Convolution1D.MaxOverTimePadded(ReadOnlySpan{float}, int, int, int, ReadOnlySpan{int}, PackedMatrix, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, int, ConvolutionScratch?)"/>
/// owned by its caller: the gathered windows and their sums, in native memory, grown to the largest call and freed by
/// <see cref="Dispose"/>. A caller that runs the convolution on a thread-pool thread passes its own, so that the memory
/// stays with the caller (one per worker) instead of with every pool thread that ever ran it. One user at a time.
/// </summary>
public sealed class ConvolutionScratch : IDisposable
{
    internal NativeBuffer<float> Windows { get; } = new();

    internal NativeBuffer<float> Sums { get; } = new();

    /// <summary>Frees both buffers.</summary>
    public void Dispose()
    {
        Windows.Dispose();
        Sums.Dispose();
    }
}
