// The Adagrad update over a block of parameters, one pass: a += g^2; w -= lr * g / sqrt(a), written once on the lanes
// of the chosen SIMD variant (every element alone, so every variant gives the same bits).
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ElmoNative.Kernels.Simd;

namespace ElmoNative.Kernels;

/// <summary>The element-wise Adagrad update.</summary>
public static class AdagradUpdate
{
    /// <summary>accumulators += gradient^2; parameters -= learningRate * gradient / sqrt(accumulators).</summary>
    public static void Apply(Span<float> parameters, Span<float> accumulators, ReadOnlySpan<float> gradient, float learningRate)
        => Apply(KernelSet.Current, parameters, accumulators, gradient, learningRate);

    /// <summary>Apply on an explicit kernel set.</summary>
    internal static void Apply(KernelSet kernels, Span<float> parameters, Span<float> accumulators, ReadOnlySpan<float> gradient, float learningRate)
    {
        int n = parameters.Length;
        if (accumulators.Length != n || gradient.Length != n) throw new ArgumentException("parameters, accumulators and gradient must have the same length.");
        kernels.Adagrad(parameters, accumulators, gradient, learningRate);
    }

    /// <summary>Apply on the lanes TSimd.</summary>
    internal static void Apply<TSimd, TVec>(Span<float> parameters, Span<float> accumulators, ReadOnlySpan<float> gradient, float learningRate)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float w = ref MemoryMarshal.GetReference(parameters);
        ref float a = ref MemoryMarshal.GetReference(accumulators);
        ref float g = ref MemoryMarshal.GetReference(gradient);
        nuint n = (nuint)parameters.Length, i = 0;
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count) At<TSimd, TVec>(ref w, ref a, ref g, learningRate, i);
        for (; i < n; i++) At<SimdScalar, float>(ref w, ref a, ref g, learningRate, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At<TSimd, TVec>(ref float w, ref float a, ref float g, float learningRate, nuint i)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec gv = TSimd.Load(ref g, i);
        TVec av = TSimd.Add(TSimd.Load(ref a, i), TSimd.Multiply(gv, gv));
        TSimd.Store(av, ref a, i);
        TVec step = TSimd.Divide(TSimd.Multiply(TSimd.Create(learningRate), gv), TSimd.Sqrt(av));
        TSimd.Store(TSimd.Subtract(TSimd.Load(ref w, i), step), ref w, i);
    }
}
