// The first NaN or infinity of a span: a float is not finite exactly when all its exponent bits are set, so each lane
// is masked with 0x7F800000 and compared with that mask, 16 (Vector512) or 8 (Vector256) lanes at a time, and the
// first lane that matches is found from the comparison's sign bits. A scalar loop does the tail and the scalar variant.
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ElmoNative.Kernels;

/// <summary>Finding values that are not finite (NaN, +infinity, -infinity).</summary>
public static class NonFinite
{
    private const uint ExponentMask = 0x7F80_0000;

    /// <summary>The index of the first NaN or infinity in <paramref name="values"/>, or -1 when every value is finite.</summary>
    public static int IndexOf(ReadOnlySpan<float> values) => IndexOf(SimdDispatch.Current, values);

    /// <summary>As <see cref="IndexOf(ReadOnlySpan{float})"/>, on the lanes of <paramref name="variant"/> (tests).</summary>
    internal static int IndexOf(SimdVariant variant, ReadOnlySpan<float> values)
    {
        var bits = MemoryMarshal.Cast<float, uint>(values);
        int i = 0;
        if (variant == SimdVariant.Vector512)
        {
            var mask = Vector512.Create(ExponentMask);
            for (; i <= bits.Length - Vector512<uint>.Count; i += Vector512<uint>.Count)
            {
                var hit = Vector512.Equals(Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(bits), (nuint)i) & mask, mask);
                if (hit != Vector512<uint>.Zero) return i + BitOperations.TrailingZeroCount(hit.ExtractMostSignificantBits());
            }
        }
        else if (variant == SimdVariant.Vector256)
        {
            var mask = Vector256.Create(ExponentMask);
            for (; i <= bits.Length - Vector256<uint>.Count; i += Vector256<uint>.Count)
            {
                var hit = Vector256.Equals(Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(bits), (nuint)i) & mask, mask);
                if (hit != Vector256<uint>.Zero) return i + BitOperations.TrailingZeroCount(hit.ExtractMostSignificantBits());
            }
        }
        for (; i < bits.Length; i++)
            if ((bits[i] & ExponentMask) == ExponentMask) return i;
        return -1;
    }
}
