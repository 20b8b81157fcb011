// A GEMM problem size as a benchmark parameter; its flop count feeds the GFLOP/s column.
namespace ElmoNative.Bench.Kernels;

/// <summary>C [M, N] = A [M, K] B [K, N].</summary>
public sealed record GemmShape(int M, int K, int N)
{
    /// <summary>Floating-point operations of one product (2 M N K).</summary>
    public double Flops => 2.0 * M * N * K;

    /// <inheritdoc/>
    public override string ToString() => $"M={M},K={K},N={N}";
}
