namespace ElmoNative.Training.Tests;

/// <summary>
/// Central finite differences against an analytic gradient, for float32 code.
/// <para>
/// Why these numbers: the layers are float32 (they call the float kernels), so a loss value carries a rounding error of
/// about 1e-7 relative (~3e-7 absolute for a loss near 2.5). With a step eps = 1e-2 that noise contributes ~3e-5 to a
/// difference quotient, and the truncation error of the central difference is O(eps^2 f''') ~ 1e-4 relative, so a probe
/// passes when |numeric - analytic| &lt;= 1e-2 max(|numeric|, |analytic|) + 1e-4. Probes are kept away from kinks
/// exactly: the caller supplies a signature of every discrete decision of the forward pass (max-over-time positions,
/// relu signs, clip engagement); a probe whose +eps or -eps evaluation changes it is skipped, and at most half of a
/// tensor's probes may be skipped.
/// </para>
/// </summary>
internal static class FiniteDifference
{
    public const double Step = 1e-2;

    public static void Check(string name, Span<float> values, ReadOnlySpan<float> analytic, Func<(double Loss, ulong Signature)> loss,
        Random random, int probes, ICollection<string> failures, double step = Step, double relative = 1e-2, double absolute = 1e-4)
    {
        int skipped = 0;
        // Half the probes where the analytic gradient is non-zero (sparse tensors: char_embed, softmax rows), half anywhere.
        var nonZero = new List<int>();
        for (int k = 0; k < analytic.Length; k++) if (analytic[k] != 0f) nonZero.Add(k);
        var order = nonZero.OrderBy(_ => random.Next()).Take(probes / 2)
            .Concat(Enumerable.Range(0, values.Length).OrderBy(_ => random.Next()).Take(probes - Math.Min(probes / 2, nonZero.Count)))
            .Distinct().ToArray();
        foreach (int i in order)
        {
            float original = values[i];
            ulong signature = loss().Signature;
            values[i] = (float)(original + step);
            var plus = loss();
            values[i] = (float)(original - step);
            var minus = loss();
            values[i] = original;
            if (plus.Signature != signature || minus.Signature != signature)
            {
                skipped++;
                continue;
            }
            double h = (double)(float)(original + step) - (float)(original - step);
            double numeric = (plus.Loss - minus.Loss) / h;
            double tolerance = relative * Math.Max(Math.Abs(numeric), Math.Abs(analytic[i])) + absolute;
            if (Math.Abs(numeric - analytic[i]) > tolerance)
                failures.Add($"{name}[{i}]: analytic {analytic[i]:G6}, numeric {numeric:G6}");
        }
        if (order.Length > 0 && skipped * 2 > order.Length)
            failures.Add($"{name}: {skipped} of {order.Length} probes at a kink");
    }
}
