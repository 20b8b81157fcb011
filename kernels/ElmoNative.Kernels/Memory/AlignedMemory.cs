// Native (unmanaged) memory for large, long-lived or often-replaced float blocks: packed weights and growing
// workspaces. Outside the garbage-collected heap such a block costs no collection when it is allocated and is given
// back to the system the moment it is freed, instead of lingering as large-object garbage until a full collection.
// Large blocks are aligned to 2 MB and, on Linux and on request (ELMONATIVE_HUGE_PAGES=1), offered to transparent
// huge pages (madvise): streaming a 32 MB weight matrix through a GEMM then needs 16 TLB entries instead of 8,192.
using System.Runtime.InteropServices;

namespace ElmoNative.Kernels.Memory;

/// <summary>Allocation and release of 64-byte aligned native memory.</summary>
internal static unsafe partial class AlignedMemory
{
    /// <summary>Alignment of every block: a cache line, and a whole vector for every SIMD variant.</summary>
    public const int Alignment = 64;

    /// <summary>Size and alignment of a huge page (x86-64, ARM64 with 4 KB base pages).</summary>
    public const int HugePageBytes = 2 << 20;

    private const int MadviseHugePage = 14; // MADV_HUGEPAGE
    private static bool madviseMissing;

    /// <summary>
    /// Whether large blocks are advised for transparent huge pages: only when the environment variable
    /// ELMONATIVE_HUGE_PAGES is 1. On the development VM huge pages raised the bandwidth of the batch-1 recurrent GEMV
    /// (12-16 -> 17-19 GB/s, `gemm --stream`), but their first touch made loading `original` about 1 s slower whenever the
    /// machine was busy (1.0 -> 2.0-2.3 s), so they are opt-in.
    /// </summary>
    private static readonly bool HugePages = Environment.GetEnvironmentVariable("ELMONATIVE_HUGE_PAGES") == "1";

    /// <summary>A new uninitialized block of <paramref name="bytes"/> bytes (at least one), 64-byte aligned.</summary>
    public static void* Allocate(nuint bytes) => NativeMemory.AlignedAlloc(Math.Max(bytes, 1), Alignment);

    /// <summary>
    /// As <see cref="Allocate"/>; when huge pages are enabled (Linux), a block of at least a huge page is 2 MB aligned and
    /// advised for transparent huge pages (an advice the system may ignore). Free it with <see cref="Free"/>.
    /// </summary>
    public static void* AllocateLarge(nuint bytes)
    {
        if (bytes < HugePageBytes || !HugePages || !OperatingSystem.IsLinux() || madviseMissing) return Allocate(bytes);
        nuint rounded = (bytes + HugePageBytes - 1) & ~(nuint)(HugePageBytes - 1);
        void* block = NativeMemory.AlignedAlloc(rounded, HugePageBytes);
        try
        {
            _ = Madvise(block, rounded, MadviseHugePage); // advice only: a refusal (e.g. THP disabled) changes nothing
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            madviseMissing = true;
        }
        return block;
    }

    /// <summary>Releases a block from <see cref="Allocate"/> or <see cref="AllocateLarge"/> (null is ignored).</summary>
    /// <summary>Whether <paramref name="values"/> starts on an <see cref="Alignment"/> boundary.</summary>
    public static bool IsAligned(ReadOnlySpan<float> values)
    {
        fixed (float* p = values) return (nuint)p % Alignment == 0;
    }

    public static void Free(void* block)
    {
        if (block != null) NativeMemory.AlignedFree(block);
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);
}
