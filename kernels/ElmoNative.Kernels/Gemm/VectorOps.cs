// BLAS-1 style helpers over spans; element-wise, so TensorPrimitives' own vector width cannot change a bit.
using System.Numerics.Tensors;

namespace ElmoNative.Kernels;

/// <summary>Level-1 vector operations (BLAS-1 style) over spans of equal length.</summary>
public static class VectorOps
{
    /// <summary>y += x.</summary>
    public static void Add(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Add(y, x[..y.Length], y);

    /// <summary>y += alpha * x.</summary>
    public static void MultiplyAdd(ReadOnlySpan<float> x, float alpha, Span<float> y) => TensorPrimitives.MultiplyAdd(x[..y.Length], alpha, y, y);

    /// <summary>x *= alpha.</summary>
    public static void Scale(Span<float> x, float alpha) => TensorPrimitives.Multiply(x, alpha, x);
}
