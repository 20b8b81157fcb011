using ElmoNative.Kernels;
using ElmoNative.Parameters;

namespace ElmoNative.Layers;

/// <summary>
/// An affine map (the token projection, the LSTM's input half): y = x W + b, TensorFlow orientation (row vector on the
/// left). Shapes: x [N, In], W [In, Out], b [Out], y [N, Out].
/// <code>
///   forward:  y  = x W + b
///   backward: dW += x^T dy     db += sum_n dy     dx = dy W^T
/// </code>
/// Forward saves nothing: backward takes the input x from the caller, who keeps it anyway.
/// </summary>
internal sealed class Dense : IDisposable
{
    private readonly Weight weight;
    private readonly Weight? bias;

    /// <summary>W [In, Out] and b [Out] (none: y = x W).</summary>
    public Dense(Weight weight, Weight? bias)
    {
        this.weight = weight;
        this.bias = bias;
    }

    /// <summary>In.</summary>
    public int Inputs => weight.Rows;

    /// <summary>Out.</summary>
    public int Outputs => weight.Columns;

    /// <summary>y [rows, Out] (row stride ldy) = x [rows, In] (row stride ldx) W + b; with accumulate, y += x W + b.</summary>
    public void Forward(ReadOnlySpan<float> x, int ldx, Span<float> y, int ldy, int rows, bool accumulate = false)
    {
        if (rows == 0) return;
        weight.Multiply(rows, x, ldx, accumulate ? 1f : 0f, y, ldy);
        if (bias is not null) Activations.AddRowVector(bias.Values, y, rows, ldy);
    }

    /// <summary>
    /// From dy [n, Out] and the forward input x [n, In]: adds dW and db to the weights' gradients and writes
    /// dx [n, In] (skipped when dx is empty).
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, Span<float> dx)
    {
        int input = Inputs, output = Outputs;
        Sgemm.Multiply(Transpose.Yes, Transpose.No, input, output, n, 1f, x, input, dy, output, 1f, weight.Gradient, output);
        if (bias is not null) Gradients.AddColumnSums(dy, n, output, bias.Gradient);
        if (!dx.IsEmpty)
            Sgemm.Multiply(Transpose.No, Transpose.Yes, n, input, output, 1f, dy, output, weight.Values, output, 0f, dx, input);
    }

    /// <summary>Frees the packed weight.</summary>
    public void Dispose() => weight.Dispose();
}
