// Backward passes of the element-wise activations in Activations.cs: the derivative of each function expressed
// through its saved output y, multiplied into the incoming gradient dy. Each is written once on the lanes of the
// chosen SIMD variant (ISimd); the tail of a span runs the same code on one lane.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ElmoNative.Kernels.Simd;

namespace ElmoNative.Kernels;

/// <summary>Backward passes of element-wise functions, column sums and counter-based dropout masks.</summary>
public static partial class Gradients
{
    /// <summary>dy *= (y &gt; 0): the gradient through y = relu(x), from the saved output y.</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, Span<float> dy) => ReluBackward(KernelSet.Current, y, dy);

    /// <summary>dy *= 1 - y²: the gradient through y = tanh(x), from the saved output y.</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, Span<float> dy) => TanhBackward(KernelSet.Current, y, dy);

    /// <summary>dy *= y (1 - y): the gradient through y = sigmoid(x), from the saved output y.</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, Span<float> dy) => SigmoidBackward(KernelSet.Current, y, dy);

    /// <summary>
    /// dy = 0 where |y| &gt;= limit: the gradient through y = clip(x, -limit, limit), from the saved output y (a value
    /// sitting exactly on the limit counts as clipped). Nothing happens for an infinite limit.
    /// </summary>
    public static void ClipBackward(ReadOnlySpan<float> y, float limit, Span<float> dy) => ClipBackward(KernelSet.Current, y, limit, dy);

    /// <summary>
    /// The gradient through y = g * t + (1 - g) * h: dg = dy (t - h), dt = dy g, dh = dy (1 - g). dh may be dy itself
    /// (it is written last for each element).
    /// </summary>
    public static void GatedMixBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> t, ReadOnlySpan<float> h,
        ReadOnlySpan<float> dy, Span<float> dg, Span<float> dt, Span<float> dh)
        => GatedMixBackward(KernelSet.Current, g, t, h, dy, dg, dt, dh);

    /// <summary>ReluBackward on an explicit kernel set.</summary>
    internal static void ReluBackward(KernelSet kernels, ReadOnlySpan<float> y, Span<float> dy)
    {
        Check(y.Length, dy.Length);
        kernels.ReluBackward(y, dy);
    }

    /// <summary>TanhBackward on an explicit kernel set.</summary>
    internal static void TanhBackward(KernelSet kernels, ReadOnlySpan<float> y, Span<float> dy)
    {
        Check(y.Length, dy.Length);
        kernels.TanhBackward(y, dy);
    }

    /// <summary>SigmoidBackward on an explicit kernel set.</summary>
    internal static void SigmoidBackward(KernelSet kernels, ReadOnlySpan<float> y, Span<float> dy)
    {
        Check(y.Length, dy.Length);
        kernels.SigmoidBackward(y, dy);
    }

    /// <summary>ClipBackward on an explicit kernel set.</summary>
    internal static void ClipBackward(KernelSet kernels, ReadOnlySpan<float> y, float limit, Span<float> dy)
    {
        Check(y.Length, dy.Length);
        if (float.IsPositiveInfinity(limit)) return;
        kernels.ClipBackward(y, limit, dy);
    }

    /// <summary>GatedMixBackward on an explicit kernel set.</summary>
    internal static void GatedMixBackward(KernelSet kernels, ReadOnlySpan<float> g, ReadOnlySpan<float> t, ReadOnlySpan<float> h,
        ReadOnlySpan<float> dy, Span<float> dg, Span<float> dt, Span<float> dh)
    {
        int n = dy.Length;
        if (g.Length < n || t.Length < n || h.Length < n || dg.Length < n || dt.Length < n || dh.Length < n)
            throw new ArgumentException("All spans must be at least as long as dy.");
        kernels.GatedMixBackward(g, t, h, dy, dg, dt, dh);
    }

    /// <summary>ReluBackward on the lanes TSimd.</summary>
    internal static void ReluBackward<TSimd, TVec>(ReadOnlySpan<float> y, Span<float> dy)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ds = ref MemoryMarshal.GetReference(dy);
        nuint n = (nuint)dy.Length, i = 0;
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count) ReluBackwardAt<TSimd, TVec>(ref ys, ref ds, i);
        for (; i < n; i++) ReluBackwardAt<SimdScalar, float>(ref ys, ref ds, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ReluBackwardAt<TSimd, TVec>(ref float y, ref float dy, nuint i)
        where TSimd : ISimd<TVec>
        where TVec : struct
        => TSimd.Store(TSimd.SelectWhereGreater(TSimd.Load(ref y, i), TSimd.Zero, TSimd.Load(ref dy, i), TSimd.Zero), ref dy, i);

    /// <summary>TanhBackward on the lanes TSimd.</summary>
    internal static void TanhBackward<TSimd, TVec>(ReadOnlySpan<float> y, Span<float> dy)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ds = ref MemoryMarshal.GetReference(dy);
        nuint n = (nuint)dy.Length, i = 0;
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count) TanhBackwardAt<TSimd, TVec>(ref ys, ref ds, i);
        for (; i < n; i++) TanhBackwardAt<SimdScalar, float>(ref ys, ref ds, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void TanhBackwardAt<TSimd, TVec>(ref float y, ref float dy, nuint i)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec yv = TSimd.Load(ref y, i);
        TSimd.Store(TSimd.Multiply(TSimd.Load(ref dy, i), TSimd.Subtract(TSimd.One, TSimd.Multiply(yv, yv))), ref dy, i);
    }

    /// <summary>SigmoidBackward on the lanes TSimd: dy = (dy * y) * (1 - y), in that order for every element.</summary>
    internal static void SigmoidBackward<TSimd, TVec>(ReadOnlySpan<float> y, Span<float> dy)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ds = ref MemoryMarshal.GetReference(dy);
        nuint n = (nuint)dy.Length, i = 0;
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count) SigmoidBackwardAt<TSimd, TVec>(ref ys, ref ds, i);
        for (; i < n; i++) SigmoidBackwardAt<SimdScalar, float>(ref ys, ref ds, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SigmoidBackwardAt<TSimd, TVec>(ref float y, ref float dy, nuint i)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec yv = TSimd.Load(ref y, i);
        TSimd.Store(TSimd.Multiply(TSimd.Multiply(TSimd.Load(ref dy, i), yv), TSimd.Subtract(TSimd.One, yv)), ref dy, i);
    }

    /// <summary>ClipBackward on the lanes TSimd.</summary>
    internal static void ClipBackward<TSimd, TVec>(ReadOnlySpan<float> y, float limit, Span<float> dy)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ds = ref MemoryMarshal.GetReference(dy);
        nuint n = (nuint)dy.Length, i = 0;
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count) ClipBackwardAt<TSimd, TVec>(ref ys, limit, ref ds, i);
        for (; i < n; i++) ClipBackwardAt<SimdScalar, float>(ref ys, limit, ref ds, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ClipBackwardAt<TSimd, TVec>(ref float y, float limit, ref float dy, nuint i)
        where TSimd : ISimd<TVec>
        where TVec : struct
        => TSimd.Store(TSimd.SelectWhereLess(TSimd.Abs(TSimd.Load(ref y, i)), TSimd.Create(limit), TSimd.Load(ref dy, i), TSimd.Zero), ref dy, i);

    /// <summary>GatedMixBackward on the lanes TSimd.</summary>
    internal static void GatedMixBackward<TSimd, TVec>(ReadOnlySpan<float> g, ReadOnlySpan<float> t, ReadOnlySpan<float> h,
        ReadOnlySpan<float> dy, Span<float> dg, Span<float> dt, Span<float> dh)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float gs = ref MemoryMarshal.GetReference(g);
        ref float ts = ref MemoryMarshal.GetReference(t);
        ref float hs = ref MemoryMarshal.GetReference(h);
        ref float dys = ref MemoryMarshal.GetReference(dy);
        ref float dgs = ref MemoryMarshal.GetReference(dg);
        ref float dts = ref MemoryMarshal.GetReference(dt);
        ref float dhs = ref MemoryMarshal.GetReference(dh);
        nuint n = (nuint)dy.Length, i = 0;
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count)
            GatedMixBackwardAt<TSimd, TVec>(ref gs, ref ts, ref hs, ref dys, ref dgs, ref dts, ref dhs, i);
        for (; i < n; i++)
            GatedMixBackwardAt<SimdScalar, float>(ref gs, ref ts, ref hs, ref dys, ref dgs, ref dts, ref dhs, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatedMixBackwardAt<TSimd, TVec>(ref float g, ref float t, ref float h, ref float dy,
        ref float dg, ref float dt, ref float dh, nuint i)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec gv = TSimd.Load(ref g, i);
        TVec dv = TSimd.Load(ref dy, i);
        TSimd.Store(TSimd.Multiply(dv, TSimd.Subtract(TSimd.Load(ref t, i), TSimd.Load(ref h, i))), ref dg, i);
        TSimd.Store(TSimd.Multiply(dv, gv), ref dt, i);
        TSimd.Store(TSimd.Multiply(dv, TSimd.Subtract(TSimd.One, gv)), ref dh, i);
    }

    private static void Check(int source, int destination)
    {
        if (source < destination) throw new ArgumentException("The saved output is shorter than the gradient.");
    }
}
