// The AVX2 + FMA (Vector256) lanes of the kernels (see ISimd.cs): every member forwards to the vector type's own operation.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Vec = System.Runtime.Intrinsics.Vector256<float>;

namespace ElmoNative.Kernels.Simd;

/// <summary>8 float lanes (AVX2 + FMA (Vector256)).</summary>
internal readonly struct Simd256 : ISimd<Vec>
{
    /// <inheritdoc/>
    public static SimdVariant Variant => SimdVariant.Vector256;

    /// <inheritdoc/>
    public static int Count => Vec.Count;

    /// <inheritdoc/>
    public static Vec Zero => Vec.Zero;

    /// <inheritdoc/>
    public static Vec One => Vec.One;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Create(float value) => Vector256.Create(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Load(ref float source, nuint index) => Vector256.LoadUnsafe(ref source, index);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vec value, ref float destination, nuint index) => value.StoreUnsafe(ref destination, index);

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
    public static Vec FusedMultiplyAdd(Vec a, Vec b, Vec c) => Vector256.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Min(Vec a, Vec b) => Vector256.Min(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Max(Vec a, Vec b) => Vector256.Max(a, b);

    /// <inheritdoc/>
    /// <remarks>
    /// Vector256.Min and Max follow IEEE 754-2019 (NaN and -0 handled in software, about ten instructions each without
    /// AVX-512). The hardware's max(low, a) and min(high, .) return their second operand when one is NaN or both are
    /// zero, which for low &lt;= 0 &lt;= high gives the same results: one instruction each.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Clip(Vec a, Vec low, Vec high)
        => Avx.IsSupported ? Avx.Min(high, Avx.Max(low, a)) : Vector256.Min(Vector256.Max(a, low), high);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Abs(Vec a) => Vector256.Abs(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Sqrt(Vec a) => Vector256.Sqrt(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec SelectWhereLess(Vec left, Vec right, Vec ifTrue, Vec ifFalse)
        => Vector256.ConditionalSelect(Vector256.LessThan(left, right), ifTrue, ifFalse);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec SelectWhereGreater(Vec left, Vec right, Vec ifTrue, Vec ifFalse)
        => Vector256.ConditionalSelect(Vector256.GreaterThan(left, right), ifTrue, ifFalse);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vec a) => Vector256.Sum(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Clamp(Vec a, float low, float high) => Vector256.Min(Vector256.Max(a, Vector256.Create(low)), Vector256.Create(high));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Negate(Vec a) => -a;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Round(Vec a) => Vector256.Round(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec And(Vec a, Vec b) => a & b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Or(Vec a, Vec b) => a | b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec ZeroWhereLess(Vec value, Vec left, Vec right) => Vector256.AndNot(value, Vector256.LessThan(left, right));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec ScaleByPowerOfTwo(Vec value, Vec n)
        => Avx512F.VL.IsSupported
            ? Avx512F.VL.Scale(value, n)
            : value * Vector256.ShiftLeft(Vector256.ConvertToInt32Native(n) + Vector256.Create(127), 23).AsSingle();
}
