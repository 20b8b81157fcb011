namespace ElmoNative.Tests.Accuracy;

/// <summary>The error of a float32 tensor against its float64 reference: max abs, RMS, and max relative (|diff| / max(1e-3, |ref|)).</summary>
public sealed class ErrorStatistics
{
    private double sumOfSquares;

    /// <summary>Values compared.</summary>
    public long Count { get; private set; }

    /// <summary>max |actual - reference|.</summary>
    public double MaxAbs { get; private set; }

    /// <summary>max |actual - reference| / max(1e-3, |reference|).</summary>
    public double MaxRelative { get; private set; }

    /// <summary>max |reference|.</summary>
    public double MaxReference { get; private set; }

    /// <summary>sqrt(mean of (actual - reference)^2).</summary>
    public double Rms => Count == 0 ? 0 : Math.Sqrt(sumOfSquares / Count);

    /// <summary>Adds one value (a NaN or an infinity counts as an infinite error).</summary>
    public void Add(double actual, double reference)
    {
        double diff = Math.Abs(actual - reference);
        if (!double.IsFinite(diff)) diff = double.PositiveInfinity;
        Count++;
        sumOfSquares += diff * diff;
        MaxAbs = Math.Max(MaxAbs, diff);
        MaxRelative = Math.Max(MaxRelative, diff / Math.Max(1e-3, Math.Abs(reference)));
        MaxReference = Math.Max(MaxReference, Math.Abs(reference));
    }

    /// <summary>Adds actual[i] against reference[i] for every i (same lengths).</summary>
    public void Add(ReadOnlySpan<float> actual, ReadOnlySpan<double> reference)
    {
        if (actual.Length != reference.Length) throw new ArgumentException($"{actual.Length} values against {reference.Length}");
        for (int i = 0; i < actual.Length; i++) Add(actual[i], reference[i]);
    }
}

/// <summary>One row of the comparison: a stage (or an output layer) and the errors of the two float32 implementations.</summary>
/// <param name="Stage">Name of the stage, e.g. <c>lstm_1_backward cell</c>.</param>
/// <param name="Fast">ElmoNative's fast path against float64.</param>
/// <param name="Plain">The plain float32 implementation (<see cref="Reference.PlainElmo{T}"/> with T = float) against float64.</param>
public sealed record StageError(string Stage, ErrorStatistics Fast, ErrorStatistics Plain);
