// Element-wise activations, forward, each written once on the lanes of the chosen SIMD variant (Simd/ISimd.cs) and run
// through its kernel set. Sigmoid, tanh and exp use FastMath (own vectorised exp; the same code as the fused LSTM cell,
// so all variants agree bit for bit). Their backward passes are in Gradients.cs beside this file; the reductions
// (softmax, log-sum-exp, sum) in Reductions/.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ElmoNative.Kernels.Simd;

namespace ElmoNative.Kernels;

/// <summary>Element-wise activations and clipping, in place or from x to y (x and y may be the same span).</summary>
public static partial class Activations
{
    /// <summary>y = 1 / (1 + exp(-x)).</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Sigmoid(KernelSet.Current, x, y);

    /// <summary>y = tanh(x).</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => Tanh(KernelSet.Current, x, y);

    /// <summary>y = exp(x) (0 below about -87.3; saturates at exp(88) above 88).</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y) => Exp(KernelSet.Current, x, y);

    /// <summary>y = max(x, 0).</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => Relu(KernelSet.Current, x, y);

    /// <summary>x = min(max(x, -limit), limit), in place.</summary>
    public static void Clip(Span<float> x, float limit) => KernelSet.Current.Clip(x, limit);

    /// <summary>h = g * t + (1 - g) * h, in place on h (the highway / gated mix).</summary>
    public static void GatedMix(ReadOnlySpan<float> g, ReadOnlySpan<float> t, Span<float> h) => GatedMix(KernelSet.Current, g, t, h);

    /// <summary>y[i] += x[i] for every row of a [rows, x.Length] matrix with row stride ldy (bias add).</summary>
    public static void AddRowVector(ReadOnlySpan<float> x, Span<float> y, int rows, int ldy)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldy, x.Length);
        Sgemm.CheckOperand(nameof(y), y.Length, rows, x.Length, ldy, true);
        var kernels = KernelSet.Current;
        for (int r = 0; r < rows; r++) kernels.Add(x, y.Slice(r * ldy, x.Length));
    }

    /// <summary>Relu on an explicit kernel set.</summary>
    internal static void Relu(KernelSet kernels, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckDestination(x.Length, y.Length, nameof(y));
        kernels.Relu(x, y);
    }

    /// <summary>Sigmoid on an explicit kernel set.</summary>
    internal static void Sigmoid(KernelSet kernels, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckDestination(x.Length, y.Length, nameof(y));
        kernels.Sigmoid(x, y);
    }

    /// <summary>Tanh on an explicit kernel set.</summary>
    internal static void Tanh(KernelSet kernels, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckDestination(x.Length, y.Length, nameof(y));
        kernels.Tanh(x, y);
    }

    /// <summary>Exp on an explicit kernel set.</summary>
    internal static void Exp(KernelSet kernels, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckDestination(x.Length, y.Length, nameof(y));
        kernels.Exp(x, y);
    }

    /// <summary>GatedMix on an explicit kernel set.</summary>
    internal static void GatedMix(KernelSet kernels, ReadOnlySpan<float> g, ReadOnlySpan<float> t, Span<float> h)
    {
        if (g.Length < h.Length || t.Length < h.Length) throw new ArgumentException("g and t must be at least as long as h.");
        kernels.GatedMix(g, t, h);
    }

    /// <summary>y[i] = f(x[i]) for one of the FastMath functions, on the lanes TSimd (the tail on one lane).</summary>
    internal static void Map<TSimd, TVec, TFunction>(ReadOnlySpan<float> x, Span<float> y)
        where TSimd : ISimd<TVec>
        where TVec : struct
        where TFunction : IElementFunction
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)x.Length, i = 0;
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count)
            TSimd.Store(TFunction.Apply<TSimd, TVec>(TSimd.Load(ref xs, i)), ref ys, i);
        for (; i < n; i++)
            Unsafe.Add(ref ys, i) = TFunction.Apply<SimdScalar, float>(Unsafe.Add(ref xs, i));
    }

    /// <summary>y = max(x, 0) on the lanes TSimd.</summary>
    internal static void Relu<TSimd, TVec>(ReadOnlySpan<float> x, Span<float> y)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        nuint n = (nuint)x.Length, i = 0;
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count) TSimd.Store(TSimd.Max(TSimd.Load(ref xs, i), TSimd.Zero), ref ys, i);
        for (; i < n; i++) Unsafe.Add(ref ys, i) = MathF.Max(Unsafe.Add(ref xs, i), 0f);
    }

    /// <summary>x = min(max(x, -limit), limit) on the lanes TSimd.</summary>
    internal static void Clip<TSimd, TVec>(Span<float> x, float limit)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        nuint n = (nuint)x.Length, i = 0;
        TVec low = TSimd.Create(-limit), high = TSimd.Create(limit);
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count) TSimd.Store(TSimd.Clip(TSimd.Load(ref xs, i), low, high), ref xs, i);
        for (; i < n; i++) Unsafe.Add(ref xs, i) = MathF.Min(MathF.Max(Unsafe.Add(ref xs, i), -limit), limit);
    }

    /// <summary>h = g * t + (1 - g) * h on the lanes TSimd.</summary>
    internal static void GatedMix<TSimd, TVec>(ReadOnlySpan<float> g, ReadOnlySpan<float> t, Span<float> h)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float gs = ref MemoryMarshal.GetReference(g);
        ref float ts = ref MemoryMarshal.GetReference(t);
        ref float hs = ref MemoryMarshal.GetReference(h);
        nuint n = (nuint)h.Length, i = 0;
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count) GatedMixAt<TSimd, TVec>(ref gs, ref ts, ref hs, i);
        for (; i < n; i++) GatedMixAt<SimdScalar, float>(ref gs, ref ts, ref hs, i);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatedMixAt<TSimd, TVec>(ref float g, ref float t, ref float h, nuint i)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec gv = TSimd.Load(ref g, i);
        TVec mixed = TSimd.FusedMultiplyAdd(gv, TSimd.Load(ref t, i), TSimd.Multiply(TSimd.Subtract(TSimd.One, gv), TSimd.Load(ref h, i)));
        TSimd.Store(mixed, ref h, i);
    }

    private static void CheckDestination(int source, int destination, string destinationName)
    {
        if (destination < source) throw new ArgumentException("The destination is shorter than the source.", destinationName);
    }
}

/// <summary>An element-wise function written once for any lanes (see <see cref="Activations.Map{TSimd, TVec, TFunction}"/>).</summary>
internal interface IElementFunction
{
    /// <summary>The function on every lane of x.</summary>
    static abstract TVec Apply<TSimd, TVec>(TVec x)
        where TSimd : ISimd<TVec>
        where TVec : struct;
}

/// <summary>exp.</summary>
internal readonly struct ExpFunction : IElementFunction
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Apply<TSimd, TVec>(TVec x) where TSimd : ISimd<TVec> where TVec : struct => FastMath.Exp<TSimd, TVec>(x);
}

/// <summary>The logistic sigmoid.</summary>
internal readonly struct SigmoidFunction : IElementFunction
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Apply<TSimd, TVec>(TVec x) where TSimd : ISimd<TVec> where TVec : struct => FastMath.Sigmoid<TSimd, TVec>(x);
}

/// <summary>The hyperbolic tangent.</summary>
internal readonly struct TanhFunction : IElementFunction
{
    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Apply<TSimd, TVec>(TVec x) where TSimd : ISimd<TVec> where TVec : struct => FastMath.Tanh<TSimd, TVec>(x);
}
