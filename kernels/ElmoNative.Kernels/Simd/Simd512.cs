// The AVX-512F (Vector512) lanes of the kernels (see ISimd.cs): every member forwards to the vector type's own operation.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Vec = System.Runtime.Intrinsics.Vector512<float>;

namespace ElmoNative.Kernels.Simd;

/// <summary>16 float lanes (AVX-512F (Vector512)).</summary>
internal readonly struct Simd512 : ISimd<Vec>
{
    /// <inheritdoc/>
    public static SimdVariant Variant => SimdVariant.Vector512;

    /// <inheritdoc/>
    public static int Count => Vec.Count;

    /// <inheritdoc/>
    public static Vec Zero => Vec.Zero;

    /// <inheritdoc/>
    public static Vec One => Vec.One;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Create(float value) => Vector512.Create(value);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Load(ref float source, nuint index) => Vector512.LoadUnsafe(ref source, index);

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
    public static Vec FusedMultiplyAdd(Vec a, Vec b, Vec c) => Vector512.FusedMultiplyAdd(a, b, c);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Min(Vec a, Vec b) => Vector512.Min(a, b);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Max(Vec a, Vec b) => Vector512.Max(a, b);

    /// <inheritdoc/>
    /// <remarks>
    /// Vector512.Min and Max follow IEEE 754-2019 (on AVX-512 hardware a vrangeps and two vfixupimmps each, in the JIT's
    /// listing of the cell). The hardware's max(low, a) and min(high, .) return their second operand when one is NaN or both are
    /// zero, which for low &lt;= 0 &lt;= high gives the same results: one instruction each.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Clip(Vec a, Vec low, Vec high)
        => Avx512F.IsSupported ? Avx512F.Min(high, Avx512F.Max(low, a)) : Vector512.Min(Vector512.Max(a, low), high);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Abs(Vec a) => Vector512.Abs(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Sqrt(Vec a) => Vector512.Sqrt(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec SelectWhereLess(Vec left, Vec right, Vec ifTrue, Vec ifFalse)
        => Vector512.ConditionalSelect(Vector512.LessThan(left, right), ifTrue, ifFalse);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec SelectWhereGreater(Vec left, Vec right, Vec ifTrue, Vec ifFalse)
        => Vector512.ConditionalSelect(Vector512.GreaterThan(left, right), ifTrue, ifFalse);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Sum(Vec a) => Vector512.Sum(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Clamp(Vec a, float low, float high) => Vector512.Min(Vector512.Max(a, Vector512.Create(low)), Vector512.Create(high));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Negate(Vec a) => -a;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Round(Vec a) => Vector512.Round(a);

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec And(Vec a, Vec b) => a & b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec Or(Vec a, Vec b) => a | b;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec ZeroWhereLess(Vec value, Vec left, Vec right) => Vector512.AndNot(value, Vector512.LessThan(left, right));

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vec ScaleByPowerOfTwo(Vec value, Vec n)
        => Avx512F.IsSupported
            ? Avx512F.Scale(value, n)
            : value * Vector512.ShiftLeft(Vector512.ConvertToInt32Native(n) + Vector512.Create(127), 23).AsSingle();
}
