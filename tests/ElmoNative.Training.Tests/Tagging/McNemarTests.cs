using System.Numerics;
using ElmoNative.Training.Tagging;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ElmoNative.Training.Tests.Tagging;

/// <summary>McNemar's exact test: hand-computed cases and properties against an exact rational oracle.</summary>
public sealed class McNemarTests
{
    [Fact]
    public void HandComputedCases()
    {
        // b = 1, c = 5: n = 6, P(X <= 1) = (C(6,0) + C(6,1)) / 2^6 = 7/64, two-sided 14/64.
        Assert.Equal(14.0 / 64, McNemar.PValue(1, 5), 12);
        // b = 0, c = 10: 2 / 2^10.
        Assert.Equal(2.0 / 1024, McNemar.PValue(0, 10), 15);
        // Equal counts: the tail reaches past the middle, capped at 1.
        Assert.Equal(1.0, McNemar.PValue(3, 3));
        Assert.Equal(1.0, McNemar.PValue(0, 0));
        // Chi-square with continuity correction: (|1 - 5| - 1)^2 / 6 = 1.5.
        Assert.Equal(1.5, McNemar.ChiSquare(1, 5), 12);
        var (b, c) = McNemar.Discordant([true, true, false, false, true], [true, false, true, false, false]);
        Assert.Equal((2L, 1L), (b, c));
    }

    [Fact]
    public void LargeCountsStayFinite()
    {
        // 2,000 discordant tokens split 900 / 1,100: z about 4.5, p about 1e-5 (no overflow or underflow to 0).
        double p = McNemar.PValue(900, 1100);
        Assert.InRange(p, 1e-6, 1e-4);
        // b = 0, c = 5000: p = 2 / 2^5000, far below a double: its log10 is exact, the text says so.
        Assert.Equal(Math.Log10(2) - 5000 * Math.Log10(2), McNemar.Log10PValue(0, 5000), 9);
        Assert.Equal("p < 1e-300 (log10 p = -1504.8)", McNemar.Format(0, 5000));
        Assert.Equal("p = 0.2188", McNemar.Format(1, 5));
        Assert.InRange(McNemar.PValue(10000, 10000), 0.99, 1.0);
    }

    [Property(MaxTest = 200)]
    public Property MatchesTheExactBinomialSum(byte bByte, byte cByte)
    {
        int b = bByte % 60, c = cByte % 60;
        int n = b + c, k = Math.Min(b, c);
        BigInteger tail = 0, choose = 1;
        for (int i = 0; i <= k; i++)
        {
            if (i > 0) choose = choose * (n - i + 1) / i;
            tail += choose;
        }
        double exact = n == 0 ? 1 : Math.Min(1, 2 * (double)tail / Math.Pow(2, n));
        double p = McNemar.PValue(b, c);
        return (Math.Abs(p - exact) <= 1e-12 * Math.Max(1, exact) && p == McNemar.PValue(c, b) && p > 0 && p <= 1)
            .Label($"b={b} c={c}: {p} vs {exact}");
    }

    [Property(MaxTest = 100)]
    public Property MoreLopsidedMeansSmallerP(byte bByte, byte cByte)
    {
        int b = bByte % 100, c = b + cByte % 100;
        return (McNemar.PValue(b, c + 1) <= McNemar.PValue(b, c) + 1e-15).Label($"b={b} c={c}");
    }
}
