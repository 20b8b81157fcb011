// One float lane (plain scalar code; runs anywhere): the scalar variant's lanes, and the tail loop of every variant
// (see ISimd.cs). Each member is the scalar form of the vector operation, so a lane gives the same bits either way.
using System.Runtime.CompilerServices;
using Vec = float;

namespace ElmoNative.Kernels.Simd;

/// <summary>1 float lane (scalar).</summary>
internal readonly struct SimdScalar : ISimd<Vec>
{
    /// <inheritdoc/>
    public static SimdVariant Variant => SimdVariant.Scalar;

    /// <inheritdoc/>
    public static int Count => 1;

    /// <inheritdoc/>
    public static Vec Zero => 0f;

    /// <inheritdoc/>
    public static Vec One => 1f;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Create(float value) => value;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Load(ref float source, nuint index) => Unsafe.Add(ref source, index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vec value, ref float destination, nuint index) => Unsafe.Add(ref destination, index) = value;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Add(Vec a, Vec b) => a + b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Subtract(Vec a, Vec b) => a - b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Multiply(Vec a, Vec b) => a * b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Divide(Vec a, Vec b) => a / b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec FusedMultiplyAdd(Vec a, Vec b, Vec c) => MathF.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Min(Vec a, Vec b) => MathF.Min(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Max(Vec a, Vec b) => MathF.Max(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Clip(Vec a, Vec low, Vec high) => MathF.Min(MathF.Max(a, low), high);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Abs(Vec a) => MathF.Abs(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Sqrt(Vec a) => MathF.Sqrt(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec SelectWhereLess(Vec left, Vec right, Vec ifTrue, Vec ifFalse) => left < right ? ifTrue : ifFalse;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec SelectWhereGreater(Vec left, Vec right, Vec ifTrue, Vec ifFalse) => left > right ? ifTrue : ifFalse;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vec a) => a;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Clamp(Vec a, float low, float high) => MathF.Min(MathF.Max(a, low), high);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Negate(Vec a) => -a;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Round(Vec a) => MathF.Round(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec And(Vec a, Vec b) => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) & BitConverter.SingleToInt32Bits(b));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Or(Vec a, Vec b) => BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(a) | BitConverter.SingleToInt32Bits(b));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec ZeroWhereLess(Vec value, Vec left, Vec right) => left < right ? 0f : value;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec ScaleByPowerOfTwo(Vec value, Vec n) => value * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
}
