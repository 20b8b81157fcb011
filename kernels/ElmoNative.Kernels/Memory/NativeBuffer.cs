// A growable scratch buffer in native memory. Workspaces grow to the largest batch they have seen; with managed
// arrays every growth left the old array as large-object garbage, which stayed resident until a full collection
// (tens of megabytes over the first batches). Here the old block is freed when it is replaced.
using ElmoNative.Kernels.Memory;

namespace ElmoNative.Kernels;

/// <summary>
/// Scratch memory of unmanaged values outside the garbage-collected heap, 64-byte aligned, that grows on demand:
/// a larger request replaces the block (freeing the old one at once), and <see cref="Dispose"/> frees it. Not
/// thread-safe: one owner uses it at a time, and spans obtained from it are valid until the next growth or disposal.
/// </summary>
/// <typeparam name="T">The element type.</typeparam>
public sealed unsafe class NativeBuffer<T> : IDisposable
    where T : unmanaged
{
    private T* pointer;
    private int capacity;
    private bool disposed;

    /// <summary>Elements the current block holds.</summary>
    public int Capacity => capacity;

    /// <summary>
    /// The first <paramref name="size"/> elements. When the block is smaller it is replaced by a zeroed block of exactly
    /// <paramref name="size"/> elements (the old contents are lost); otherwise the contents are left as they are.
    /// </summary>
    /// <param name="size">Elements needed.</param>
    public Span<T> Get(int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        ObjectDisposedException.ThrowIf(disposed, this);
        if (size > capacity)
        {
            Release();
            pointer = (T*)AlignedMemory.Allocate((nuint)size * (nuint)sizeof(T));
            capacity = size;
            new Span<T>(pointer, size).Clear();
        }
        return new Span<T>(pointer, size);
    }

    /// <summary>Frees the block; the buffer cannot be used afterwards.</summary>
    public void Dispose()
    {
        disposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the block of a buffer that was never disposed.</summary>
    ~NativeBuffer() => Release();

    private void Release()
    {
        AlignedMemory.Free(pointer, (nuint)capacity * (nuint)sizeof(T));
        pointer = null;
        capacity = 0;
    }
}
