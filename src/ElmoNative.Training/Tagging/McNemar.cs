namespace ElmoNative.Training.Tagging;

/// <summary>
/// McNemar's test of two classifiers on the same items (docs/tagger.md, "Significance"): b = items only the first gets
/// right, c = items only the second gets right. Under the null hypothesis (both equally accurate) each of the b + c
/// discordant items goes either way with probability 1/2, so the exact two-sided p-value is
/// <c>min(1, 2 P(X &lt;= min(b, c)))</c> with X ~ Binomial(b + c, 1/2). It is summed in log space, so any count works.
/// </summary>
public static class McNemar
{
    /// <summary>The exact two-sided p-value for discordant counts <paramref name="b"/> and <paramref name="c"/> (1 when both are 0).</summary>
    /// <remarks>Below about 1e-308 it is 0 as a double; <see cref="Log10PValue"/> still gives its order of magnitude.</remarks>
    public static double PValue(long b, long c) => Math.Pow(10, Log10PValue(b, c));

    /// <summary>log10 of the exact two-sided p-value (0 when b + c is 0): finite however small the p-value.</summary>
    public static double Log10PValue(long b, long c)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(b);
        ArgumentOutOfRangeException.ThrowIfNegative(c);
        long n = b + c, k = Math.Min(b, c);
        if (n == 0) return 0;
        // log P(X = i) = log C(n, i) - n log 2; C(n, i) built up term by term; summed with log-sum-exp.
        double log2n = n * Math.Log(2), logChoose = 0, max = double.NegativeInfinity;
        var terms = new double[k + 1];
        for (long i = 0; i <= k; i++)
        {
            if (i > 0) logChoose += Math.Log(n - i + 1) - Math.Log(i);
            terms[i] = logChoose - log2n;
            max = Math.Max(max, terms[i]);
        }
        double sum = 0;
        foreach (double t in terms) sum += Math.Exp(t - max);
        double logP = Math.Min(0, Math.Log(2) + max + Math.Log(sum));
        return logP / Math.Log(10);
    }

    /// <summary>The p-value as text: <c>p = 0.2188</c> (G4), or <c>p &lt; 1e-300 (log10 p = -1234.5)</c> when too small for a double.</summary>
    public static string Format(long b, long c)
    {
        double log10 = Log10PValue(b, c);
        return log10 > -300
            ? "p = " + Math.Pow(10, log10).ToString("G4", System.Globalization.CultureInfo.InvariantCulture)
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"p < 1e-300 (log10 p = {log10:F1})");
    }

    /// <summary>The chi-square statistic with continuity correction, (|b - c| - 1)^2 / (b + c) (0 when b + c is 0), for reporting.</summary>
    public static double ChiSquare(long b, long c) => b + c == 0 ? 0 : Math.Pow(Math.Max(Math.Abs(b - c) - 1, 0), 2) / (b + c);

    /// <summary>The discordant counts of two correctness vectors over the same items: (first only right, second only right).</summary>
    public static (long B, long C) Discordant(ReadOnlySpan<bool> first, ReadOnlySpan<bool> second)
    {
        if (first.Length != second.Length) throw new ArgumentException($"the two taggers were scored on {first.Length} and {second.Length} tokens", nameof(second));
        long b = 0, c = 0;
        for (int i = 0; i < first.Length; i++)
        {
            if (first[i] && !second[i]) b++;
            else if (!first[i] && second[i]) c++;
        }
        return (b, c);
    }
}
