// Column sums of a row-major matrix (the gradient of a bias added to every row): each row is added to the sums in
// row order, element by element (on the lanes of the chosen variant), so the result does not depend on the vector width.
using ElmoNative.Kernels.Simd;

namespace ElmoNative.Kernels;

/// <summary>Column sums for bias gradients.</summary>
public static partial class Gradients
{
    /// <summary>sums[j] += sum over r of x[r * ld + j], for a [rows, sums.Length] matrix with row stride ld (bias gradients).</summary>
    public static void AddColumnSums(ReadOnlySpan<float> x, int rows, int ld, Span<float> sums)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(ld, sums.Length);
        Sgemm.CheckOperand(nameof(x), x.Length, rows, sums.Length, ld, true);
        var kernels = KernelSet.Current;
        for (int r = 0; r < rows; r++) kernels.Add(x.Slice(r * ld, sums.Length), sums);
    }
}
