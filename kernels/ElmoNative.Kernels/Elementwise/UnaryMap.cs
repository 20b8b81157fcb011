// One loop for every element-wise function of FastMath: whole Vector512 or Vector256 blocks, then the
// tail through the scalar form (which is bit-identical to a lane), or all scalar.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ElmoNative.Kernels.Elementwise;

/// <summary>An element-wise function in its three forms.</summary>
internal interface IUnaryOp
{
    /// <summary>The function on 16 lanes.</summary>
    static abstract Vector512<float> Apply(Vector512<float> x);

    /// <summary>The function on 8 lanes.</summary>
    static abstract Vector256<float> Apply(Vector256<float> x);

    /// <summary>The function on one value.</summary>
    static abstract float Apply(float x);
}

/// <summary>exp.</summary>
internal readonly struct ExpOp : IUnaryOp
{
    public static Vector512<float> Apply(Vector512<float> x) => FastMath.Exp(x);

    public static Vector256<float> Apply(Vector256<float> x) => FastMath.Exp(x);

    public static float Apply(float x) => FastMath.Exp(x);
}

/// <summary>The logistic sigmoid.</summary>
internal readonly struct SigmoidOp : IUnaryOp
{
    public static Vector512<float> Apply(Vector512<float> x) => FastMath.Sigmoid(x);

    public static Vector256<float> Apply(Vector256<float> x) => FastMath.Sigmoid(x);

    public static float Apply(float x) => FastMath.Sigmoid(x);
}

/// <summary>The hyperbolic tangent.</summary>
internal readonly struct TanhOp : IUnaryOp
{
    public static Vector512<float> Apply(Vector512<float> x) => FastMath.Tanh(x);

    public static Vector256<float> Apply(Vector256<float> x) => FastMath.Tanh(x);

    public static float Apply(float x) => FastMath.Tanh(x);
}

/// <summary>Applies an <see cref="IUnaryOp"/> over a span.</summary>
internal static class UnaryMap
{
    /// <summary>y[i] = op(x[i]); x and y may be the same span.</summary>
    public static void Apply<TOp>(SimdVariant variant, ReadOnlySpan<float> x, Span<float> y)
        where TOp : IUnaryOp
    {
        if (y.Length < x.Length) throw new ArgumentException("The destination is shorter than the source.", nameof(y));
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        int n = x.Length, i = 0;
        if (variant == SimdVariant.Vector512)
        {
            for (; i + 16 <= n; i += 16)
                TOp.Apply(Vector512.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        }
        else if (variant == SimdVariant.Vector256)
        {
            for (; i + 8 <= n; i += 8)
                TOp.Apply(Vector256.LoadUnsafe(ref xs, (nuint)i)).StoreUnsafe(ref ys, (nuint)i);
        }
        for (; i < n; i++) Unsafe.Add(ref ys, i) = TOp.Apply(Unsafe.Add(ref xs, i));
    }
}
