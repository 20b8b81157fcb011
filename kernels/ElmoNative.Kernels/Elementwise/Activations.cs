// Element-wise activations and small reductions. Sigmoid, tanh and exp use FastMath (own vectorised
// exp; the same code as the fused LSTM cell, so all variants agree bit for bit); plain arithmetic and
// reductions use TensorPrimitives, which vectorises them with .NET's own dispatch. Softmax and
// LogSumExp subtract the maximum first, so they never overflow.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ElmoNative.Kernels.Elementwise;

namespace ElmoNative.Kernels;

/// <summary>Element-wise activations and clipping, in place or from x to y (x and y may be the same span).</summary>
public static class Activations
{
    /// <summary>y = 1 / (1 + exp(-x)).</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Sigmoid(SimdDispatch.Current, x, y);

    /// <summary>y = tanh(x).</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => Tanh(SimdDispatch.Current, x, y);

    /// <summary>y = exp(x) (0 below about -87.3; saturates at exp(88) above 88).</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y) => Exp(SimdDispatch.Current, x, y);

    /// <summary>y = max(x, 0).</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Max(x, 0f, y);

    /// <summary>x = min(max(x, -limit), limit), in place.</summary>
    public static void Clip(Span<float> x, float limit)
    {
        TensorPrimitives.Min(x, limit, x);
        TensorPrimitives.Max(x, -limit, x);
    }

    /// <summary>h = g * t + (1 - g) * h, in place on h (the highway / gated mix).</summary>
    public static void GatedMix(ReadOnlySpan<float> g, ReadOnlySpan<float> t, Span<float> h)
        => GatedMix(SimdDispatch.Current, g, t, h);

    /// <summary>y[i] += x[i] for every row of a [rows, x.Length] matrix with row stride ldy (bias add).</summary>
    public static void AddRowVector(ReadOnlySpan<float> x, Span<float> y, int rows, int ldy)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldy, x.Length);
        Sgemm.CheckOperand(nameof(y), y.Length, rows, x.Length, ldy, true);
        for (int r = 0; r < rows; r++)
        {
            var row = y.Slice(r * ldy, x.Length);
            TensorPrimitives.Add(row, x, row);
        }
    }

    /// <summary>y = exp(x - max x) / sum exp(x - max x) (numerically stable softmax); x and y may be the same span.</summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y) => Softmax(SimdDispatch.Current, x, y);

    /// <summary>log(sum exp(x)), computed as max + log(sum exp(x - max)); negative infinity for an empty span.</summary>
    public static float LogSumExp(ReadOnlySpan<float> x) => LogSumExp(SimdDispatch.Current, x);

    /// <summary>The sum of x (0 for an empty span).</summary>
    public static float Sum(ReadOnlySpan<float> x) => TensorPrimitives.Sum(x);

    /// <summary>The largest |x[i]| (0 for an empty span; NaN if x holds NaN).</summary>
    public static float MaxAbs(ReadOnlySpan<float> x) => x.IsEmpty ? 0f : MathF.Abs(TensorPrimitives.MaxMagnitude(x));

    /// <summary>Sigmoid on an explicit variant.</summary>
    internal static void Sigmoid(SimdVariant variant, ReadOnlySpan<float> x, Span<float> y) => UnaryMap.Apply<SigmoidOp>(variant, x, y);

    /// <summary>Tanh on an explicit variant.</summary>
    internal static void Tanh(SimdVariant variant, ReadOnlySpan<float> x, Span<float> y) => UnaryMap.Apply<TanhOp>(variant, x, y);

    /// <summary>Exp on an explicit variant.</summary>
    internal static void Exp(SimdVariant variant, ReadOnlySpan<float> x, Span<float> y) => UnaryMap.Apply<ExpOp>(variant, x, y);

    /// <summary>GatedMix on an explicit variant.</summary>
    internal static void GatedMix(SimdVariant variant, ReadOnlySpan<float> g, ReadOnlySpan<float> t, Span<float> h)
    {
        if (g.Length < h.Length || t.Length < h.Length) throw new ArgumentException("g and t must be at least as long as h.");
        ref float gs = ref MemoryMarshal.GetReference(g);
        ref float ts = ref MemoryMarshal.GetReference(t);
        ref float hs = ref MemoryMarshal.GetReference(h);
        int n = h.Length, i = 0;
        if (variant == SimdVariant.Vector512)
        {
            for (; i + 16 <= n; i += 16)
            {
                Vector512<float> gv = Vector512.LoadUnsafe(ref gs, (nuint)i);
                Vector512<float> hv = Vector512.LoadUnsafe(ref hs, (nuint)i);
                Vector512.FusedMultiplyAdd(gv, Vector512.LoadUnsafe(ref ts, (nuint)i), (Vector512<float>.One - gv) * hv)
                    .StoreUnsafe(ref hs, (nuint)i);
            }
        }
        else if (variant == SimdVariant.Vector256)
        {
            for (; i + 8 <= n; i += 8)
            {
                Vector256<float> gv = Vector256.LoadUnsafe(ref gs, (nuint)i);
                Vector256<float> hv = Vector256.LoadUnsafe(ref hs, (nuint)i);
                Vector256.FusedMultiplyAdd(gv, Vector256.LoadUnsafe(ref ts, (nuint)i), (Vector256<float>.One - gv) * hv)
                    .StoreUnsafe(ref hs, (nuint)i);
            }
        }
        for (; i < n; i++)
        {
            float gi = Unsafe.Add(ref gs, i);
            ref float hi = ref Unsafe.Add(ref hs, i);
            hi = MathF.FusedMultiplyAdd(gi, Unsafe.Add(ref ts, i), (1f - gi) * hi);
        }
    }

    /// <summary>Softmax on an explicit variant.</summary>
    internal static void Softmax(SimdVariant variant, ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length) throw new ArgumentException("The destination is shorter than the source.", nameof(y));
        if (x.IsEmpty) return;
        float max = TensorPrimitives.Max(x);
        float sum = ExpShiftedSum(variant, x, max, y.Slice(0, x.Length), store: true);
        TensorPrimitives.Multiply(y.Slice(0, x.Length), 1f / sum, y.Slice(0, x.Length));
    }

    /// <summary>LogSumExp on an explicit variant.</summary>
    internal static float LogSumExp(SimdVariant variant, ReadOnlySpan<float> x)
    {
        if (x.IsEmpty) return float.NegativeInfinity;
        float max = TensorPrimitives.Max(x);
        if (float.IsInfinity(max) || float.IsNaN(max)) return max;
        return max + MathF.Log(ExpShiftedSum(variant, x, max, default, store: false));
    }

    /// <summary>Returns sum exp(x - shift), storing the terms in y when asked.</summary>
    private static float ExpShiftedSum(SimdVariant variant, ReadOnlySpan<float> x, float shift, Span<float> y, bool store)
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        float sum = 0f;
        if (variant == SimdVariant.Vector512)
        {
            Vector512<float> acc = Vector512<float>.Zero, s = Vector512.Create(shift);
            for (; i + 16 <= n; i += 16)
            {
                Vector512<float> e = FastMath.Exp(Vector512.LoadUnsafe(ref xs, (nuint)i) - s);
                if (store) e.StoreUnsafe(ref ys, (nuint)i);
                acc += e;
            }
            sum = Vector512.Sum(acc);
        }
        else if (variant == SimdVariant.Vector256)
        {
            Vector256<float> acc = Vector256<float>.Zero, s = Vector256.Create(shift);
            for (; i + 8 <= n; i += 8)
            {
                Vector256<float> e = FastMath.Exp(Vector256.LoadUnsafe(ref xs, (nuint)i) - s);
                if (store) e.StoreUnsafe(ref ys, (nuint)i);
                acc += e;
            }
            sum = Vector256.Sum(acc);
        }
        for (; i < n; i++)
        {
            float e = FastMath.Exp(Unsafe.Add(ref xs, i) - shift);
            if (store) Unsafe.Add(ref ys, i) = e;
            sum += e;
        }
        return sum;
    }
}
