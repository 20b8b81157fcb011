using System.Numerics.Tensors;

namespace ElmoNative.Kernels;

/// <summary>Element-wise activations and clipping, in place or from x to y (x and y may be the same span).</summary>
public static class Activations
{
    /// <summary>y = 1 / (1 + exp(-x)).</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Sigmoid(x, y);

    /// <summary>y = tanh(x).</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);

    /// <summary>y = max(x, 0).</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Max(x, 0f, y);

    /// <summary>x = min(max(x, -limit), limit), in place.</summary>
    public static void Clip(Span<float> x, float limit)
    {
        TensorPrimitives.Min(x, limit, x);
        TensorPrimitives.Max(x, -limit, x);
    }

    /// <summary>h = g * t + (1 - g) * h, in place on h (the highway / gated mix).</summary>
    public static void GatedMix(ReadOnlySpan<float> g, ReadOnlySpan<float> t, Span<float> h)
    {
        for (int i = 0; i < h.Length; i++) h[i] = g[i] * t[i] + (1f - g[i]) * h[i];
    }

    /// <summary>y[i] += x[i] for every row of a [rows, x.Length] matrix with row stride ldy (bias add).</summary>
    public static void AddRowVector(ReadOnlySpan<float> x, Span<float> y, int rows, int ldy)
    {
        for (int r = 0; r < rows; r++)
        {
            var row = y.Slice(r * ldy, x.Length);
            TensorPrimitives.Add(row, x, row);
        }
    }
}
