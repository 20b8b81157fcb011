// Vectorised exp, sigmoid and tanh for the fused kernels (LSTM cell, softmax), in Vector512, Vector256
// and scalar form. All three forms run the same operation sequence (same constants, FMAs, rounding),
// so a value gets the bit-identical result whichever form, lane or tail loop computes it.
//
// exp(x): clamp x to [ExpLow, ExpHigh]; n = round(x * log2(e)); r = x - n * ln(2) (Cody-Waite: ln(2)
// split in a short exact high part and a low correction, so r is nearly exact); exp(r) by its Taylor
// series to degree 7 (|r| <= ln(2)/2, truncation below 1e-8 relative); scale by 2^n built in the
// exponent bits. Inputs below ExpLow give 0 (the true value is under the smallest normal float); inputs
// above ExpHigh give exp(ExpHigh), which is finite: sigmoid and tanh saturate long before. NaN stays NaN.
// sigmoid(x) = 1 / (1 + exp(-x)).
// tanh(x) = sign(x) * (1 - e) / (1 + e) with e = exp(-2|x|); for |x| < TanhSmall, where 1 - e would
// cancel, the odd Taylor series of tanh to degree 13 instead (error far below float resolution there).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ElmoNative.Kernels;

/// <summary>Accurate (about 1-2 ulp) vectorised exp, sigmoid and tanh.</summary>
internal static class FastMath
{
    /// <summary>Below this, exp gives 0 (ln of the smallest normal float).</summary>
    public const float ExpLow = -87.33654f;

    /// <summary>Above this, exp gives exp(ExpHigh) (2^n stays a normal float).</summary>
    public const float ExpHigh = 88.0f;

    private const float Log2E = 1.44269504088896341f;
    private const float Ln2High = 0.693359375f;        // ln 2 rounded to 10 significant bits: n * Ln2High is exact
    private const float Ln2Low = -2.12194440e-4f;      // ln 2 - Ln2High
    private const float TanhSmall = 0.4f;

    // Taylor coefficients 1/k! of exp, degree 2..7.
    private const float E2 = 1f / 2f;
    private const float E3 = 1f / 6f;
    private const float E4 = 1f / 24f;
    private const float E5 = 1f / 120f;
    private const float E6 = 1f / 720f;
    private const float E7 = 1f / 5040f;

    // Taylor coefficients of tanh(x) = x + x^3 (T3 + x^2 (T5 + ...)).
    private const float T3 = -1f / 3f;
    private const float T5 = 2f / 15f;
    private const float T7 = -17f / 315f;
    private const float T9 = 62f / 2835f;
    private const float T11 = -1382f / 155925f;
    private const float T13 = 21844f / 6081075f;

    // ---------------------------------------------------------------- Vector512

    /// <summary>exp of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        Vector512<float> xc = Vector512.Min(Vector512.Max(x, Vector512.Create(ExpLow)), Vector512.Create(ExpHigh));
        Vector512<float> n = Vector512.Round(xc * Vector512.Create(Log2E));
        Vector512<float> r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2High), xc);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-Ln2Low), r);
        Vector512<float> p = Vector512.FusedMultiplyAdd(Vector512.Create(E7), r, Vector512.Create(E6));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E5));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(E2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        p = Vector512.FusedMultiplyAdd(p, r, Vector512<float>.One);
        Vector512<float> scale = Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
        return Vector512.AndNot(p * scale, Vector512.LessThan(x, Vector512.Create(ExpLow)));
    }

    /// <summary>1 / (1 + exp(-x)) of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Sigmoid(Vector512<float> x)
        => Vector512<float>.One / (Vector512<float>.One + Exp(-x));

    /// <summary>tanh of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Tanh(Vector512<float> x)
    {
        Vector512<float> sign = x & Vector512.Create(-0f);
        Vector512<float> ax = Vector512.Abs(x);
        Vector512<float> e = Exp(ax * Vector512.Create(-2f));
        Vector512<float> large = (Vector512<float>.One - e) / (Vector512<float>.One + e);
        Vector512<float> x2 = ax * ax;
        Vector512<float> q = Vector512.FusedMultiplyAdd(Vector512.Create(T13), x2, Vector512.Create(T11));
        q = Vector512.FusedMultiplyAdd(q, x2, Vector512.Create(T9));
        q = Vector512.FusedMultiplyAdd(q, x2, Vector512.Create(T7));
        q = Vector512.FusedMultiplyAdd(q, x2, Vector512.Create(T5));
        q = Vector512.FusedMultiplyAdd(q, x2, Vector512.Create(T3));
        Vector512<float> small = Vector512.FusedMultiplyAdd(q * x2, ax, ax);
        return Vector512.ConditionalSelect(Vector512.LessThan(ax, Vector512.Create(TanhSmall)), small, large) | sign;
    }

    // ---------------------------------------------------------------- Vector256

    /// <summary>exp of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        Vector256<float> xc = Vector256.Min(Vector256.Max(x, Vector256.Create(ExpLow)), Vector256.Create(ExpHigh));
        Vector256<float> n = Vector256.Round(xc * Vector256.Create(Log2E));
        Vector256<float> r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2High), xc);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-Ln2Low), r);
        Vector256<float> p = Vector256.FusedMultiplyAdd(Vector256.Create(E7), r, Vector256.Create(E6));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E5));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(E2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        p = Vector256.FusedMultiplyAdd(p, r, Vector256<float>.One);
        Vector256<float> scale = Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23).AsSingle();
        return Vector256.AndNot(p * scale, Vector256.LessThan(x, Vector256.Create(ExpLow)));
    }

    /// <summary>1 / (1 + exp(-x)) of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Sigmoid(Vector256<float> x)
        => Vector256<float>.One / (Vector256<float>.One + Exp(-x));

    /// <summary>tanh of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Tanh(Vector256<float> x)
    {
        Vector256<float> sign = x & Vector256.Create(-0f);
        Vector256<float> ax = Vector256.Abs(x);
        Vector256<float> e = Exp(ax * Vector256.Create(-2f));
        Vector256<float> large = (Vector256<float>.One - e) / (Vector256<float>.One + e);
        Vector256<float> x2 = ax * ax;
        Vector256<float> q = Vector256.FusedMultiplyAdd(Vector256.Create(T13), x2, Vector256.Create(T11));
        q = Vector256.FusedMultiplyAdd(q, x2, Vector256.Create(T9));
        q = Vector256.FusedMultiplyAdd(q, x2, Vector256.Create(T7));
        q = Vector256.FusedMultiplyAdd(q, x2, Vector256.Create(T5));
        q = Vector256.FusedMultiplyAdd(q, x2, Vector256.Create(T3));
        Vector256<float> small = Vector256.FusedMultiplyAdd(q * x2, ax, ax);
        return Vector256.ConditionalSelect(Vector256.LessThan(ax, Vector256.Create(TanhSmall)), small, large) | sign;
    }

    // ---------------------------------------------------------------- scalar

    /// <summary>exp(x), the same operations as the vector forms.</summary>
    public static float Exp(float x)
    {
        if (x < ExpLow) return 0f;
        float xc = MathF.Min(x, ExpHigh);
        float n = MathF.Round(xc * Log2E);
        float r = MathF.FusedMultiplyAdd(n, -Ln2High, xc);
        r = MathF.FusedMultiplyAdd(n, -Ln2Low, r);
        float p = MathF.FusedMultiplyAdd(E7, r, E6);
        p = MathF.FusedMultiplyAdd(p, r, E5);
        p = MathF.FusedMultiplyAdd(p, r, E4);
        p = MathF.FusedMultiplyAdd(p, r, E3);
        p = MathF.FusedMultiplyAdd(p, r, E2);
        p = MathF.FusedMultiplyAdd(p, r, 1f);
        p = MathF.FusedMultiplyAdd(p, r, 1f);
        if (float.IsNaN(p)) return p;
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    /// <summary>1 / (1 + exp(-x)).</summary>
    public static float Sigmoid(float x) => 1f / (1f + Exp(-x));

    /// <summary>tanh(x).</summary>
    public static float Tanh(float x)
    {
        float ax = MathF.Abs(x);
        float t;
        if (ax < TanhSmall)
        {
            float x2 = ax * ax;
            float q = MathF.FusedMultiplyAdd(T13, x2, T11);
            q = MathF.FusedMultiplyAdd(q, x2, T9);
            q = MathF.FusedMultiplyAdd(q, x2, T7);
            q = MathF.FusedMultiplyAdd(q, x2, T5);
            q = MathF.FusedMultiplyAdd(q, x2, T3);
            t = MathF.FusedMultiplyAdd(q * x2, ax, ax);
        }
        else
        {
            float e = Exp(-2f * ax);
            t = (1f - e) / (1f + e);
        }
        return MathF.CopySign(t, x);
    }
}
