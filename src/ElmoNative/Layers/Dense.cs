using ElmoNative.Kernels;

namespace ElmoNative.Layers;

/// <summary>An affine map y = x W + b (TensorFlow orientation: row vector on the left). W is [In, Out].</summary>
internal sealed class Dense : IDisposable
{
    private readonly PackedMatrix weight;
    private readonly float[]? bias;

    /// <summary>W [In, Out] already packed (its Rows are In, its Columns Out).</summary>
    public Dense(PackedMatrix weight, float[]? bias)
    {
        this.weight = weight;
        this.bias = bias;
        Inputs = weight.Rows;
        Outputs = weight.Columns;
    }

    public int Inputs { get; }

    public int Outputs { get; }

    /// <summary>y [rows, Out] (row stride ldy) = x [rows, In] (row stride ldx) W + b; with accumulate, y += x W + b.</summary>
    public void Forward(ReadOnlySpan<float> x, int ldx, Span<float> y, int ldy, int rows, bool accumulate = false)
    {
        if (rows == 0) return;
        Sgemm.Multiply(rows, x, ldx, weight, accumulate ? 1f : 0f, y, ldy);
        if (bias is not null) Activations.AddRowVector(bias, y, rows, ldy);
    }

    /// <summary>Frees the packed weight.</summary>
    public void Dispose() => weight.Dispose();
}
