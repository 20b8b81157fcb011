// Chooses, once per process, which instruction-set variant every kernel runs: AVX-512 (Vector512),
// AVX2+FMA (Vector256) or plain scalar code. The environment variable ELMONATIVE_SIMD=512|256|scalar
// forces a variant (a forced variant the CPU cannot run falls back to the best one it can), so the
// slower paths can be exercised and compared on an AVX-512 machine. KernelSet.Current (Simd/KernelSet.cs) turns the
// choice into the one set of kernels every public entry point runs; tests take any set with KernelSet.For(variant).
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace ElmoNative.Kernels;

/// <summary>The instruction-set variant a kernel runs.</summary>
internal enum SimdVariant
{
    /// <summary>Plain scalar loops; runs anywhere.</summary>
    Scalar,

    /// <summary>Vector256 with fused multiply-add (AVX2 + FMA).</summary>
    Vector256,

    /// <summary>Vector512 (AVX-512F).</summary>
    Vector512,
}

/// <summary>The process-wide variant choice and what the hardware supports.</summary>
internal static class SimdDispatch
{
    /// <summary>Name of the environment variable that forces a variant: 512, 256 or scalar.</summary>
    public const string EnvironmentVariable = "ELMONATIVE_SIMD";

    /// <summary>The variant the public kernel entry points use, decided once at start-up.</summary>
    public static readonly SimdVariant Current = Choose(Environment.GetEnvironmentVariable(EnvironmentVariable));

    /// <summary>The fastest variant this CPU runs.</summary>
    public static SimdVariant Best =>
        IsSupported(SimdVariant.Vector512) ? SimdVariant.Vector512
        : IsSupported(SimdVariant.Vector256) ? SimdVariant.Vector256
        : SimdVariant.Scalar;

    /// <summary>Whether this CPU runs <paramref name="variant"/> in hardware.</summary>
    public static bool IsSupported(SimdVariant variant) => variant switch
    {
        SimdVariant.Vector512 => Vector512.IsHardwareAccelerated && Avx512F.IsSupported,
        SimdVariant.Vector256 => Vector256.IsHardwareAccelerated && Fma.IsSupported,
        _ => true,
    };

    /// <summary>All variants this CPU runs (what the tests iterate over).</summary>
    public static IReadOnlyList<SimdVariant> Supported { get; } =
        Enum.GetValues<SimdVariant>().Where(IsSupported).ToArray();

    /// <summary>The variant for an ELMONATIVE_SIMD setting (null or unknown: the best one).</summary>
    public static SimdVariant Choose(string? setting)
    {
        SimdVariant wanted = setting?.Trim().ToLowerInvariant() switch
        {
            "512" or "avx512" or "vector512" => SimdVariant.Vector512,
            "256" or "avx2" or "vector256" => SimdVariant.Vector256,
            "scalar" or "none" or "0" => SimdVariant.Scalar,
            _ => Best,
        };
        return IsSupported(wanted) ? wanted : Best;
    }
}
