// BLAS-1 style operations over spans (y += x, y += alpha x, x *= alpha), written once on the lanes of the chosen SIMD
// variant. Every element is computed alone (y += alpha x is a multiply then an add, not fused), so every variant
// gives the same bits.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ElmoNative.Kernels.Simd;

namespace ElmoNative.Kernels;

/// <summary>Level-1 vector operations (BLAS-1 style) over spans of equal length.</summary>
public static class VectorOps
{
    /// <summary>y += x.</summary>
    public static void Add(ReadOnlySpan<float> x, Span<float> y) => KernelSet.Current.Add(x[..y.Length], y);

    /// <summary>y += alpha * x.</summary>
    public static void MultiplyAdd(ReadOnlySpan<float> x, float alpha, Span<float> y) => KernelSet.Current.MultiplyAdd(x[..y.Length], alpha, y);

    /// <summary>x *= alpha.</summary>
    public static void Scale(Span<float> x, float alpha) => KernelSet.Current.Scale(x, alpha);

    /// <summary>y += alpha * x on the lanes TSimd (x at least as long as y); alpha = 1 adds without multiplying.</summary>
    internal static void MultiplyAdd<TSimd, TVec>(ReadOnlySpan<float> x, float alpha, Span<float> y)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)y.Length, i = 0;
        if (alpha == 1f)
        {
            for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count) AddAt<TSimd, TVec>(ref xs, ref ys, i);
            for (; i < n; i++) AddAt<SimdScalar, float>(ref xs, ref ys, i);
            return;
        }
        TVec alphas = TSimd.Create(alpha);
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count) MultiplyAddAt<TSimd, TVec>(ref xs, alphas, ref ys, i);
        for (; i < n; i++) MultiplyAddAt<SimdScalar, float>(ref xs, alpha, ref ys, i);
    }

    /// <summary>x *= alpha on the lanes TSimd.</summary>
    internal static void Scale<TSimd, TVec>(Span<float> x, float alpha)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length, i = 0;
        TVec alphas = TSimd.Create(alpha);
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count) TSimd.Store(TSimd.Multiply(TSimd.Load(ref xs, i), alphas), ref xs, i);
        for (; i < n; i++) Unsafe.Add(ref xs, i) *= alpha;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddAt<TSimd, TVec>(ref float x, ref float y, nuint i)
        where TSimd : ISimd<TVec>
        where TVec : struct
        => TSimd.Store(TSimd.Add(TSimd.Load(ref y, i), TSimd.Load(ref x, i)), ref y, i);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyAddAt<TSimd, TVec>(ref float x, TVec alpha, ref float y, nuint i)
        where TSimd : ISimd<TVec>
        where TVec : struct
        => TSimd.Store(TSimd.Add(TSimd.Multiply(TSimd.Load(ref x, i), alpha), TSimd.Load(ref y, i)), ref y, i);
}
