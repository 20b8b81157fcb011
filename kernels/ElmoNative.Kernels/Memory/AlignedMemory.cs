// Native (unmanaged) memory for large, long-lived or often-replaced float blocks: packed weights and growing
// workspaces. Outside the garbage-collected heap such a block costs no collection when it is allocated and is given
// back to the system the moment it is freed, instead of lingering as large-object garbage until a full collection.
// On Linux, blocks of at least MappedBlockBytes are pages of their own (mmap / munmap): the C allocator would keep
// freed blocks of a few megabytes in its heap for reuse (it raises its mmap threshold to the largest block freed), so
// a workspace that grew a few times left tens of megabytes resident that nothing used (bench/README.md, "Memory").
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

    /// <summary>Blocks of at least this many bytes are mapped pages of their own on Linux (see the file's comment).</summary>
    public const int MappedBlockBytes = 256 << 10;

    private const int MadviseHugePage = 14; // MADV_HUGEPAGE
    private const int ProtReadWrite = 0x1 | 0x2; // PROT_READ | PROT_WRITE
    private const int MapPrivateAnonymous = 0x02 | 0x20; // MAP_PRIVATE | MAP_ANONYMOUS (Linux)
    private static bool madviseMissing;

    /// <summary>
    /// Whether large blocks are advised for transparent huge pages: only when the environment variable
    /// ELMONATIVE_HUGE_PAGES is 1. On the development VM huge pages raised the bandwidth of the batch-1 recurrent GEMV
    /// (12-16 -> 17-19 GB/s, `gemm --stream`), but their first touch made loading `original` about 1 s slower whenever the
    /// machine was busy (1.0 -> 2.0-2.3 s), so they are opt-in.
    /// </summary>
    private static readonly bool HugePages = Environment.GetEnvironmentVariable("ELMONATIVE_HUGE_PAGES") == "1";

    /// <summary>Whether large blocks are mapped pages (Linux with mmap reachable, huge pages not requested).</summary>
    private static readonly bool Mapped = !HugePages && OperatingSystem.IsLinux() && MmapWorks();

    /// <summary>Whether blocks of at least <see cref="MappedBlockBytes"/> are mapped pages of their own in this process.</summary>
    public static bool MapsLargeBlocks => Mapped;

    private static long liveBytes;

    /// <summary>
    /// Bytes of the blocks allocated here and not freed yet, process-wide (packed weights and workspace buffers: the
    /// native part of a model's memory, which the GC's figures do not show; bench/README.md, "Memory").
    /// </summary>
    public static long LiveBytes => Interlocked.Read(ref liveBytes);

    /// <summary>A new uninitialized block of <paramref name="bytes"/> bytes (at least one), 64-byte aligned; free it with <see cref="Free"/> and the same size.</summary>
    public static void* Allocate(nuint bytes)
    {
        void* block;
        if (IsMapped(bytes))
        {
            block = Mmap(null, bytes, ProtReadWrite, MapPrivateAnonymous, -1, 0);
            if (block == (void*)-1) throw new InsufficientMemoryException($"cannot map {bytes} bytes of memory (errno {Marshal.GetLastPInvokeError()})");
        }
        else
        {
            block = NativeMemory.AlignedAlloc(Math.Max(bytes, 1), Alignment);
        }
        Interlocked.Add(ref liveBytes, (long)bytes);
        return block;
    }

    /// <summary>
    /// As <see cref="Allocate"/>; when huge pages are enabled (Linux), a block of at least a huge page is 2 MB aligned and
    /// advised for transparent huge pages (an advice the system may ignore). Free it with <see cref="Free"/>.
    /// </summary>
    public static void* AllocateLarge(nuint bytes)
    {
        if (bytes < HugePageBytes || !HugePages || !OperatingSystem.IsLinux() || madviseMissing) return Allocate(bytes);
        nuint rounded = (bytes + HugePageBytes - 1) & ~(nuint)(HugePageBytes - 1);
        void* block = NativeMemory.AlignedAlloc(rounded, HugePageBytes);
        Interlocked.Add(ref liveBytes, (long)bytes);
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

    /// <summary>Whether <paramref name="values"/> starts on an <see cref="Alignment"/> boundary.</summary>
    public static bool IsAligned(ReadOnlySpan<float> values)
    {
        fixed (float* p = values) return (nuint)p % Alignment == 0;
    }

    /// <summary>Releases a block of <paramref name="bytes"/> bytes from <see cref="Allocate"/> or <see cref="AllocateLarge"/> (null is ignored).</summary>
    public static void Free(void* block, nuint bytes)
    {
        if (block == null) return;
        if (IsMapped(bytes)) _ = Munmap(block, bytes);
        else NativeMemory.AlignedFree(block);
        Interlocked.Add(ref liveBytes, -(long)bytes);
    }

    /// <summary>Whether a block of <paramref name="bytes"/> is (or was) allocated as mapped pages: decided by its size alone.</summary>
    private static bool IsMapped(nuint bytes) => Mapped && bytes >= MappedBlockBytes;

    /// <summary>Maps and unmaps one page: whether the C library's mmap can be called here.</summary>
    private static bool MmapWorks()
    {
        try
        {
            void* page = Mmap(null, 4096, ProtReadWrite, MapPrivateAnonymous, -1, 0);
            if (page == (void*)-1) return false;
            return Munmap(page, 4096) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise")]
    private static partial int Madvise(void* address, nuint length, int advice);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial void* Mmap(void* address, nuint length, int protection, int flags, int fd, nint offset);

    [LibraryImport("libc", EntryPoint = "munmap")]
    private static partial int Munmap(void* address, nuint length);
}
