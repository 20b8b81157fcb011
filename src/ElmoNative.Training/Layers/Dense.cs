using ElmoNative.Kernels;

namespace ElmoNative.Training.Layers;

/// <summary>
/// A dense layer (the token projection): y = x W + b. Shapes: x [N, In], W [In, Out], b [Out], y [N, Out].
/// <code>
///   forward:  y  = x W + b
///   backward: dW += x^T dy     db += sum_n dy     dx = dy W^T
/// </code>
/// Forward saves nothing; backward needs the input x.
/// </summary>
internal sealed class Dense
{
    private readonly ParameterTensor weight, bias;

    public Dense(ParameterLayout layout, string weightName, string biasName, int inputDim, int outputDim)
    {
        weight = layout[weightName];
        bias = layout[biasName];
        InputDim = inputDim;
        OutputDim = outputDim;
    }

    /// <summary>In.</summary>
    public int InputDim { get; }

    /// <summary>Out.</summary>
    public int OutputDim { get; }

    /// <summary>y [n, Out] = x [n, In] W + b.</summary>
    public void Forward(ParameterSet p, ReadOnlySpan<float> x, int n, Span<float> y)
    {
        Sgemm.Multiply(Transpose.No, Transpose.No, n, OutputDim, InputDim, 1f, x, InputDim, p.View(weight), OutputDim, 0f, y, OutputDim);
        Activations.AddRowVector(p.View(bias), y, n, OutputDim);
    }

    /// <summary>Accumulates dW, db into <paramref name="g"/> and writes dx [n, In] (skipped when dx is empty).</summary>
    public void Backward(ParameterSet p, ParameterSet g, ReadOnlySpan<float> x, ReadOnlySpan<float> dy, int n, Span<float> dx)
    {
        Sgemm.Multiply(Transpose.Yes, Transpose.No, InputDim, OutputDim, n, 1f, x, InputDim, dy, OutputDim, 1f, g.View(weight), OutputDim);
        Gradients.AddColumnSums(dy, n, OutputDim, g.View(bias));
        if (!dx.IsEmpty)
            Sgemm.Multiply(Transpose.No, Transpose.Yes, n, InputDim, OutputDim, 1f, dy, OutputDim, p.View(weight), OutputDim, 0f, dx, InputDim);
    }
}
