// Pack buffers for the GEMM driver, rented for one call and returned (pinned, 64-byte aligned, grown on demand), so a
// GEMM call allocates nothing on its hot path. They were per thread: the thread pool replaces its threads now and then,
// and each new thread that ran a GEMM kept buffers of its own (megabytes creeping up over a long run). The pool holds
// as many as ever ran at once.
using System.Runtime.CompilerServices;

namespace ElmoNative.Kernels.Gemm;

/// <summary>Pinned, 64-byte aligned scratch buffers for packed A and B blocks, used by one GEMM call at a time.</summary>
internal sealed unsafe class GemmWorkspace
{
    // Idle workspaces, one per slot; more than this many GEMM calls at once simply make new ones (and drop them after).
    private static readonly GemmWorkspace?[] Idle = new GemmWorkspace?[16];

    private float[] aBuffer = [];
    private float[] bBuffer = [];

    /// <summary>Takes an idle workspace (or a new one) for a call; give it back with <see cref="Return"/>.</summary>
    public static GemmWorkspace Rent()
    {
        for (int i = 0; i < Idle.Length; i++)
            if (Interlocked.Exchange(ref Idle[i], null) is { } workspace) return workspace;
        return new GemmWorkspace();
    }

    /// <summary>Gives back a workspace taken with <see cref="Rent"/> (its buffers stay for the next call).</summary>
    public static void Return(GemmWorkspace workspace)
    {
        for (int i = 0; i < Idle.Length; i++)
            if (Interlocked.CompareExchange(ref Idle[i], workspace, null) is null) return;
    }

    /// <summary>An aligned buffer of at least <paramref name="length"/> floats for packed A.</summary>
    public float* PackA(int length) => Aligned(ref aBuffer, length);

    /// <summary>An aligned buffer of at least <paramref name="length"/> floats for packed B.</summary>
    public float* PackB(int length) => Aligned(ref bBuffer, length);

    private static float* Aligned(ref float[] buffer, int length)
    {
        const int AlignFloats = 16;
        if (buffer.Length < length + AlignFloats)
            buffer = GC.AllocateUninitializedArray<float>(length + AlignFloats, pinned: true);
        return AlignUp((float*)Unsafe.AsPointer(ref buffer[0]));
    }

    /// <summary>Rounds a pointer up to the next 64-byte boundary.</summary>
    public static float* AlignUp(float* p) => (float*)(((nuint)p + 63) & ~(nuint)63);
}
