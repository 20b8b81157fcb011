using System.Globalization;

namespace ElmoNative.KneserNey;

/// <summary>
/// The three discounts of one order of modified Kneser-Ney (Chen and Goodman 1998): <see cref="One"/> for n-grams of
/// count 1, <see cref="Two"/> for count 2, <see cref="ThreePlus"/> for 3 or more.
/// </summary>
/// <param name="One">D1.</param>
/// <param name="Two">D2.</param>
/// <param name="ThreePlus">D3+.</param>
public readonly record struct Discounts(double One, double Two, double ThreePlus)
{
    /// <summary>
    /// Chen and Goodman's estimates from the counts of counts n1 .. n4 of one order: Y = n1 / (n1 + 2 n2),
    /// D1 = 1 - 2Y n2/n1, D2 = 2 - 3Y n3/n2, D3+ = 3 - 4Y n4/n3, each kept within [0, k] so that no n-gram of count k
    /// loses more than it has. Where a count of counts is zero (tiny texts) the formula is undefined and the fallback
    /// D1 = 0.5, D2 = 1, D3+ = 1.5 is used.
    /// </summary>
    public static Discounts Estimate(long n1, long n2, long n3, long n4)
    {
        if (n1 <= 0 || n2 <= 0 || n3 <= 0 || n4 <= 0) return new Discounts(0.5, 1.0, 1.5);
        double y = n1 / (n1 + 2.0 * n2);
        return new Discounts(
            Math.Clamp(1 - 2 * y * n2 / n1, 0, 1),
            Math.Clamp(2 - 3 * y * n3 / n2, 0, 2),
            Math.Clamp(3 - 4 * y * n4 / n3, 0, 3));
    }

    /// <summary>The discount of an n-gram of (adjusted) count <paramref name="count"/>; 0 for an unseen one.</summary>
    public double For(long count) => count switch { <= 0 => 0, 1 => One, 2 => Two, _ => ThreePlus };

    /// <inheritdoc/>
    public override string ToString() => string.Format(CultureInfo.InvariantCulture, "D1 {0:F4}, D2 {1:F4}, D3+ {2:F4}", One, Two, ThreePlus);
}
