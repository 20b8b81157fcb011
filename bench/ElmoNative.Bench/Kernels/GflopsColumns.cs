// Summary columns for the SGEMM benchmark: achieved GFLOP/s (2 M N K / mean time) and the ratio to
// OpenBLAS's time on the same shape and thread count (when the OpenBLAS benchmark ran).
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace ElmoNative.Bench.Kernels;

/// <summary>GFLOP/s of a benchmark case with a <see cref="GemmShape"/> parameter named Shape.</summary>
public sealed class GflopsColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(GflopsColumn);

    /// <inheritdoc/>
    public string ColumnName => "GFLOP/s";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "Achieved GFLOP/s: 2 M N K / mean time";

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? gflops = Gflops(summary, benchmarkCase);
        return gflops is null ? "n/a" : gflops.Value.ToString("F1", System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>GFLOP/s of a case, or null when it did not run or has no shape (or OpenBLAS was missing).</summary>
    public static double? Gflops(Summary summary, BenchmarkCase benchmarkCase)
    {
        if (benchmarkCase.Descriptor.WorkloadMethod.Name.Contains("OpenBlas", StringComparison.Ordinal) && !OpenBlas.IsAvailable) return null;
        if (benchmarkCase.Parameters["Shape"] is not GemmShape shape) return null;
        double? nanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        return nanoseconds is null or <= 0 ? null : shape.Flops / nanoseconds.Value;
    }
}

/// <summary>This case's GFLOP/s divided by OpenBLAS's on the same parameters.</summary>
public sealed class OpenBlasRatioColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(OpenBlasRatioColumn);

    /// <inheritdoc/>
    public string ColumnName => "vs OpenBLAS";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 1;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "GFLOP/s relative to OpenBLAS cblas_sgemm with the same shape and threads";

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => OpenBlas.IsAvailable;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        BenchmarkCase? reference = summary.BenchmarksCases.FirstOrDefault(other =>
            other.Descriptor.WorkloadMethod.Name.Contains("OpenBlas", StringComparison.Ordinal)
            && other.Descriptor.Type == benchmarkCase.Descriptor.Type
            && other.Parameters.DisplayInfo == benchmarkCase.Parameters.DisplayInfo);
        double? ours = GflopsColumn.Gflops(summary, benchmarkCase);
        double? theirs = reference is null ? null : GflopsColumn.Gflops(summary, reference);
        return ours is null || theirs is null ? "n/a" : (ours.Value / theirs.Value).ToString("P0", System.Globalization.CultureInfo.InvariantCulture);
    }
}
