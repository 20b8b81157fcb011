// Per-thread pack buffers for the GEMM driver. They are allocated once per thread (pinned, 64-byte
// aligned) and grown on demand, so a GEMM call allocates nothing on its hot path.
using System.Runtime.CompilerServices;

namespace ElmoNative.Kernels.Gemm;

/// <summary>A thread's pinned, 64-byte aligned scratch buffers for packed A and B blocks.</summary>
internal sealed unsafe class GemmWorkspace
{
    [ThreadStatic]
    private static GemmWorkspace? current;

    private float[] aBuffer = [];
    private float[] bBuffer = [];

    /// <summary>The calling thread's workspace.</summary>
    public static GemmWorkspace Current => current ??= new GemmWorkspace();

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
