// What a kernel needs of a vector of floats, as one static-abstract interface: the kernels are written once, generic
// over it, and each SIMD variant is one small struct that implements it for its vector type (Simd512.cs, Simd256.cs,
// SimdScalar.cs differ only in the alias on their first line). The JIT specialises a generic kernel per struct, so the
// calls below compile to the bare vector instructions. A kernel runs its main loop on TSimd and its tail on
// SimdScalar with the same code, so every element goes through the same operations whichever loop reaches it.
namespace ElmoNative.Kernels.Simd;

/// <summary>The float lanes of one SIMD variant: load, store, arithmetic, selection, and the bit operations FastMath builds exp, sigmoid and tanh from.</summary>
/// <typeparam name="TVec">The vector type (Vector512&lt;float&gt;, Vector256&lt;float&gt;, or float for one lane).</typeparam>
internal interface ISimd<TVec>
    where TVec : struct
{
    /// <summary>The variant these lanes belong to.</summary>
    static abstract SimdVariant Variant { get; }

    /// <summary>Floats per vector.</summary>
    static abstract int Count { get; }

    /// <summary>The vector of zeros.</summary>
    static abstract TVec Zero { get; }

    /// <summary>The vector of ones.</summary>
    static abstract TVec One { get; }

    /// <summary>Every lane <paramref name="value"/>.</summary>
    static abstract TVec Create(float value);

    /// <summary>Count floats from source[index].</summary>
    static abstract TVec Load(ref float source, nuint index);

    /// <summary>Writes Count floats to destination[index].</summary>
    static abstract void Store(TVec value, ref float destination, nuint index);

    /// <summary>a + b.</summary>
    static abstract TVec Add(TVec a, TVec b);

    /// <summary>a - b.</summary>
    static abstract TVec Subtract(TVec a, TVec b);

    /// <summary>a * b.</summary>
    static abstract TVec Multiply(TVec a, TVec b);

    /// <summary>a / b.</summary>
    static abstract TVec Divide(TVec a, TVec b);

    /// <summary>a * b + c with one rounding.</summary>
    static abstract TVec FusedMultiplyAdd(TVec a, TVec b, TVec c);

    /// <summary>The smaller of a and b.</summary>
    static abstract TVec Min(TVec a, TVec b);

    /// <summary>The larger of a and b.</summary>
    static abstract TVec Max(TVec a, TVec b);

    /// <summary>
    /// min(max(a, low), high) for low &lt;= 0 &lt;= high, with the IEEE results of <see cref="Min"/> and <see cref="Max"/>
    /// (a NaN stays NaN, signed zeros as they would), in as few instructions as the hardware allows.
    /// </summary>
    static abstract TVec Clip(TVec a, TVec low, TVec high);

    /// <summary>|a|.</summary>
    static abstract TVec Abs(TVec a);

    /// <summary>The square root (correctly rounded).</summary>
    static abstract TVec Sqrt(TVec a);

    /// <summary>Per lane: left &lt; right ? ifTrue : ifFalse (a NaN compares false).</summary>
    static abstract TVec SelectWhereLess(TVec left, TVec right, TVec ifTrue, TVec ifFalse);

    /// <summary>Per lane: left &gt; right ? ifTrue : ifFalse (a NaN compares false). The selected bits are moved, never rounded.</summary>
    static abstract TVec SelectWhereGreater(TVec left, TVec right, TVec ifTrue, TVec ifFalse);

    /// <summary>The sum of the lanes (in the vector type's own order).</summary>
    static abstract float Sum(TVec a);

    /// <summary>min(max(a, low), high). The bounds are floats, not vectors, so constant bounds stay constants the JIT can see.</summary>
    static abstract TVec Clamp(TVec a, float low, float high);

    /// <summary>-a (the sign bit flipped).</summary>
    static abstract TVec Negate(TVec a);

    /// <summary>a rounded to the nearest integer, ties to even.</summary>
    static abstract TVec Round(TVec a);

    /// <summary>The bitwise AND of a and b.</summary>
    static abstract TVec And(TVec a, TVec b);

    /// <summary>The bitwise OR of a and b.</summary>
    static abstract TVec Or(TVec a, TVec b);

    /// <summary>Per lane: left &lt; right ? +0 : value (a NaN compares false).</summary>
    static abstract TVec ZeroWhereLess(TVec value, TVec left, TVec right);

    /// <summary>
    /// value x 2^n for an integral n in [-126, 127], exactly (rounded only where the product is subnormal): one
    /// instruction (vscalefps) where AVX-512 runs natively; elsewhere 2^n is built in the exponent bits (n converted to
    /// int, plus 127, shifted left 23) and multiplied, which gives the same bits. Only such n are defined; a NaN value
    /// gives NaN (exp passes a NaN n only with a NaN value).
    /// </summary>
    static abstract TVec ScaleByPowerOfTwo(TVec value, TVec n);
}
