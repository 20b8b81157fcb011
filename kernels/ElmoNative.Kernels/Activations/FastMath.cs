// Vectorised exp, sigmoid and tanh for the fused kernels (LSTM cell, softmax), written once over the
// lanes of a SIMD variant (ISimd, see Simd/ISimd.cs): Vector512, Vector256 and the scalar lane run the
// same operation sequence (same constants, FMAs, rounding, branch-free selects), so a value gets the
// bit-identical result whichever variant, lane or tail loop computes it.
//
// exp(x): clamp x to [ExpLow, ExpHigh]; n = round(x * log2(e)); r = x - n * ln(2) (Cody-Waite: ln(2)
// split in a short exact high part and a low correction, so r is nearly exact); exp(r) by its Taylor
// series to degree 7 (|r| <= ln(2)/2, truncation below 1e-8 relative); scale by 2^n, exactly
// (ISimd.ScaleByPowerOfTwo: vscalefps, or 2^n built in the exponent bits). Inputs below ExpLow give 0 (the true
// value is under the smallest normal float); inputs above ExpHigh give exp(ExpHigh), which is finite: sigmoid and
// tanh saturate long before. NaN stays NaN.
//
// sigmoid(x) = 1 / (1 + exp(-x)).
// tanh(x) = sign(x) * t(|x|). For |x| < TanhSmall, where the quotients below would cancel, the odd Taylor series of
// tanh to degree 13 (error far below float resolution there). Above, with E = exp(2|x|) >= 2.2 (so that E - 1 is
// exact): t = (E - 1) / (E + 1) below TanhMiddle and t = 1 - 2 / (E + 1) from TanhMiddle on, where the roundings of
// E + 1 (in float's coarser spacing above 2) and of the quotient reach only the small term 2 / (E + 1), not t.
// This costs two selects over the single quotient (1 - e) / (1 + e), e = exp(-2|x|), used before, whose rounding of
// 1 + e cost up to 1 ulp of t: mean error on [1, 9) 0.52 ulp, twice MathF.Tanh's 0.26, the one place where the fast
// path was less accurate than plain float32 with exact activations (docs/accuracy.md); now at most about 1.35 ulp
// (MathF.Tanh: 2.13), mean 0.26 ulp on [1, 9), and a mean no larger than MathF.Tanh's on any range.
using System.Runtime.CompilerServices;
using ElmoNative.Kernels.Simd;

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
    private const float TanhMiddle = 0.9f;

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

    /// <summary>exp of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Exp<TSimd, TVec>(TVec x)
        where TSimd : ISimd<TVec>
        where TVec : struct
        => TSimd.ZeroWhereLess(ExpOfClamped<TSimd, TVec>(TSimd.Clamp(x, ExpLow, ExpHigh)), x, TSimd.Create(ExpLow));

    /// <summary>
    /// exp of each lane of <paramref name="xc"/>, already within [ExpLow, ExpHigh]: the whole of <see cref="Exp"/> but its
    /// clamp and its zero below ExpLow, which sigmoid and tanh do without (they meet only the clamp's bound there, and the
    /// result is the same: see them).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static TVec ExpOfClamped<TSimd, TVec>(TVec xc)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec n = TSimd.Round(TSimd.Multiply(xc, TSimd.Create(Log2E)));
        TVec r = TSimd.FusedMultiplyAdd(n, TSimd.Create(-Ln2High), xc);
        r = TSimd.FusedMultiplyAdd(n, TSimd.Create(-Ln2Low), r);
        TVec p = TSimd.FusedMultiplyAdd(TSimd.Create(E7), r, TSimd.Create(E6));
        p = TSimd.FusedMultiplyAdd(p, r, TSimd.Create(E5));
        p = TSimd.FusedMultiplyAdd(p, r, TSimd.Create(E4));
        p = TSimd.FusedMultiplyAdd(p, r, TSimd.Create(E3));
        p = TSimd.FusedMultiplyAdd(p, r, TSimd.Create(E2));
        p = TSimd.FusedMultiplyAdd(p, r, TSimd.One);
        p = TSimd.FusedMultiplyAdd(p, r, TSimd.One);
        return TSimd.ScaleByPowerOfTwo(p, n);
    }

    /// <summary>1 / (1 + exp(-x)) of each lane.</summary>
    /// <remarks>
    /// Where -x is below ExpLow, exp(-x) is taken as exp(ExpLow), about 1.2e-38, rather than Exp's 0: 1 + either is 1, so
    /// the sigmoid is the same, for two operations less.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Sigmoid<TSimd, TVec>(TVec x)
        where TSimd : ISimd<TVec>
        where TVec : struct
        => TSimd.Divide(TSimd.One, TSimd.Add(TSimd.One, ExpOfClamped<TSimd, TVec>(TSimd.Clamp(TSimd.Negate(x), ExpLow, ExpHigh))));

    /// <summary>tanh of each lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Tanh<TSimd, TVec>(TVec x)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec sign = TSimd.And(x, TSimd.Create(-0f));
        TVec ax = TSimd.Abs(x);
        // |x| >= TanhSmall: (E - 1) / (E + 1) below TanhMiddle, 1 - 2 / (E + 1) from it on, E = exp(2|x|). 2|x| is never
        // below 0, so exp's zero below ExpLow never applies, and clamping to [0, ExpHigh] is clamping to [ExpLow, ExpHigh].
        TVec big = ExpOfClamped<TSimd, TVec>(TSimd.Clamp(TSimd.Add(ax, ax), 0f, ExpHigh));
        TVec middle = TSimd.Create(TanhMiddle);
        TVec quotient = TSimd.Divide(TSimd.SelectWhereLess(ax, middle, TSimd.Subtract(big, TSimd.One), TSimd.Create(2f)), TSimd.Add(big, TSimd.One));
        TVec large = TSimd.SelectWhereLess(ax, middle, quotient, TSimd.Subtract(TSimd.One, quotient));
        TVec x2 = TSimd.Multiply(ax, ax);
        TVec q = TSimd.FusedMultiplyAdd(TSimd.Create(T13), x2, TSimd.Create(T11));
        q = TSimd.FusedMultiplyAdd(q, x2, TSimd.Create(T9));
        q = TSimd.FusedMultiplyAdd(q, x2, TSimd.Create(T7));
        q = TSimd.FusedMultiplyAdd(q, x2, TSimd.Create(T5));
        q = TSimd.FusedMultiplyAdd(q, x2, TSimd.Create(T3));
        TVec small = TSimd.FusedMultiplyAdd(TSimd.Multiply(q, x2), ax, ax);
        return TSimd.Or(TSimd.SelectWhereLess(ax, TSimd.Create(TanhSmall), small, large), sign);
    }
}
