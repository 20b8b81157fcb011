// Two vectors of a SIMD variant as one: every operation is applied to both halves, one after the other, so a kernel
// written over ISimd and run on SimdPair issues each step for two independent vectors side by side. Same operations on
// the same values lane by lane, so the bits are those of the single variant. It pays in kernels whose every vector is
// one long chain of dependent operations (the LSTM cell's activations): the processor's scheduler then holds two
// chains' next steps at once rather than one chain's whole tail (bench/README.md, "The LSTM cell, two vectors abreast").
using System.Runtime.CompilerServices;

namespace ElmoNative.Kernels.Simd;

/// <summary>Two vectors of <typeparamref name="TVec"/>, the lanes of <see cref="SimdPair{TSimd, TVec}"/>.</summary>
internal struct VectorPair<TVec>
    where TVec : struct
{
    /// <summary>Lanes 0 .. Count - 1.</summary>
    public TVec Low;

    /// <summary>Lanes Count .. 2 x Count - 1.</summary>
    public TVec High;

    /// <summary>The pair of two vectors.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public VectorPair(TVec low, TVec high)
    {
        Low = low;
        High = high;
    }
}

/// <summary>Twice the lanes of <typeparamref name="TSimd"/>: each operation on both halves (see the top of this file).</summary>
internal readonly struct SimdPair<TSimd, TVec> : ISimd<VectorPair<TVec>>
    where TSimd : ISimd<TVec>
    where TVec : struct
{
    /// <inheritdoc/>
    public static SimdVariant Variant => TSimd.Variant;

    /// <inheritdoc/>
    public static int Count => 2 * TSimd.Count;

    /// <inheritdoc/>
    public static VectorPair<TVec> Zero
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(TSimd.Zero, TSimd.Zero);
    }

    /// <inheritdoc/>
    public static VectorPair<TVec> One
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new(TSimd.One, TSimd.One);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Create(float value)
    {
        TVec v = TSimd.Create(value);
        return new(v, v);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Load(ref float source, nuint index)
        => new(TSimd.Load(ref source, index), TSimd.Load(ref source, index + (nuint)TSimd.Count));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(VectorPair<TVec> value, ref float destination, nuint index)
    {
        TSimd.Store(value.Low, ref destination, index);
        TSimd.Store(value.High, ref destination, index + (nuint)TSimd.Count);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Add(VectorPair<TVec> a, VectorPair<TVec> b) => new(TSimd.Add(a.Low, b.Low), TSimd.Add(a.High, b.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Subtract(VectorPair<TVec> a, VectorPair<TVec> b) => new(TSimd.Subtract(a.Low, b.Low), TSimd.Subtract(a.High, b.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Multiply(VectorPair<TVec> a, VectorPair<TVec> b) => new(TSimd.Multiply(a.Low, b.Low), TSimd.Multiply(a.High, b.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Divide(VectorPair<TVec> a, VectorPair<TVec> b) => new(TSimd.Divide(a.Low, b.Low), TSimd.Divide(a.High, b.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> FusedMultiplyAdd(VectorPair<TVec> a, VectorPair<TVec> b, VectorPair<TVec> c)
        => new(TSimd.FusedMultiplyAdd(a.Low, b.Low, c.Low), TSimd.FusedMultiplyAdd(a.High, b.High, c.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Min(VectorPair<TVec> a, VectorPair<TVec> b) => new(TSimd.Min(a.Low, b.Low), TSimd.Min(a.High, b.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Max(VectorPair<TVec> a, VectorPair<TVec> b) => new(TSimd.Max(a.Low, b.Low), TSimd.Max(a.High, b.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Clip(VectorPair<TVec> a, VectorPair<TVec> low, VectorPair<TVec> high)
        => new(TSimd.Clip(a.Low, low.Low, high.Low), TSimd.Clip(a.High, low.High, high.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Abs(VectorPair<TVec> a) => new(TSimd.Abs(a.Low), TSimd.Abs(a.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Sqrt(VectorPair<TVec> a) => new(TSimd.Sqrt(a.Low), TSimd.Sqrt(a.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> SelectWhereLess(VectorPair<TVec> left, VectorPair<TVec> right, VectorPair<TVec> ifTrue, VectorPair<TVec> ifFalse)
        => new(TSimd.SelectWhereLess(left.Low, right.Low, ifTrue.Low, ifFalse.Low), TSimd.SelectWhereLess(left.High, right.High, ifTrue.High, ifFalse.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> SelectWhereGreater(VectorPair<TVec> left, VectorPair<TVec> right, VectorPair<TVec> ifTrue, VectorPair<TVec> ifFalse)
        => new(TSimd.SelectWhereGreater(left.Low, right.Low, ifTrue.Low, ifFalse.Low), TSimd.SelectWhereGreater(left.High, right.High, ifTrue.High, ifFalse.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(VectorPair<TVec> a) => TSimd.Sum(a.Low) + TSimd.Sum(a.High);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Clamp(VectorPair<TVec> a, float low, float high) => new(TSimd.Clamp(a.Low, low, high), TSimd.Clamp(a.High, low, high));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Negate(VectorPair<TVec> a) => new(TSimd.Negate(a.Low), TSimd.Negate(a.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Round(VectorPair<TVec> a) => new(TSimd.Round(a.Low), TSimd.Round(a.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> And(VectorPair<TVec> a, VectorPair<TVec> b) => new(TSimd.And(a.Low, b.Low), TSimd.And(a.High, b.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> Or(VectorPair<TVec> a, VectorPair<TVec> b) => new(TSimd.Or(a.Low, b.Low), TSimd.Or(a.High, b.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> ZeroWhereLess(VectorPair<TVec> value, VectorPair<TVec> left, VectorPair<TVec> right)
        => new(TSimd.ZeroWhereLess(value.Low, left.Low, right.Low), TSimd.ZeroWhereLess(value.High, left.High, right.High));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static VectorPair<TVec> ScaleByPowerOfTwo(VectorPair<TVec> value, VectorPair<TVec> n)
        => new(TSimd.ScaleByPowerOfTwo(value.Low, n.Low), TSimd.ScaleByPowerOfTwo(value.High, n.High));
}
