using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Parameters;

namespace ElmoNative.Layers;

/// <summary>
/// One highway layer (Srivastava et al. 2015, as used by Kim et al. 2016), docs/model.md section 3 step 3, h [N, F] in place:
/// <code>
///   forward:  g = sigmoid(h W_carry + b_carry)
///             t = relu(h W_transform + b_transform)      (relu whatever the CNN activation is)
///             y = g t + (1 - g) h
///   backward: dg = dy (t - h) g (1 - g)          dt = dy g [t &gt; 0]
///             dh = dy (1 - g) + dg W_carry^T + dt W_transform^T
///             dW_carry += h^T dg   db_carry += sum dg   dW_transform += h^T dt   db_transform += sum dt
/// </code>
/// Forward saves the layer input h, the gate g and the candidate t (a <see cref="HighwaySaved"/>); inference saves
/// nothing and works in two scratch buffers.
/// </summary>
internal sealed class Highway : IDisposable
{
    private readonly Weight carryWeight, carryBias, transformWeight, transformBias;

    public Highway(int layer, int width, LayerWeights weights)
    {
        carryWeight = weights.Matrix(CheckpointLayout.HighwayCarryWeight(layer));
        carryBias = weights.Tensor(CheckpointLayout.HighwayCarryBias(layer));
        transformWeight = weights.Matrix(CheckpointLayout.HighwayTransformWeight(layer));
        transformBias = weights.Tensor(CheckpointLayout.HighwayTransformBias(layer));
        Width = width;
    }

    /// <summary>F.</summary>
    public int Width { get; }

    /// <summary>
    /// h [N, F] in place. Without <paramref name="saved"/> (inference), gate and candidate are scratch of N x F floats;
    /// with it, they are ignored and h, g, t are kept in <paramref name="saved"/> for <see cref="Backward"/>.
    /// </summary>
    public void Forward(Span<float> h, int tokens, Span<float> gate, Span<float> candidate, HighwaySaved? saved)
    {
        int f = Width, size = tokens * f;
        ReadOnlySpan<float> x = h[..size];
        var g = gate;
        var t = candidate;
        if (saved is not null)
        {
            h[..size].CopyTo(saved.Input);
            x = saved.Input.AsSpan(0, size);
            g = saved.Gate;
            t = saved.Transform;
        }
        g = g[..size];
        t = t[..size];
        carryWeight.Multiply(tokens, x, f, 0f, g, f);
        Activations.AddRowVector(carryBias.Values, g, tokens, f);
        Activations.Sigmoid(g, g);
        transformWeight.Multiply(tokens, x, f, 0f, t, f);
        Activations.AddRowVector(transformBias.Values, t, tokens, f);
        Activations.Relu(t, t);
        Activations.GatedMix(g, t, h[..size]);
    }

    /// <summary>dh [N, F] in place: on entry dL/dy, on exit dL/dh. Weight gradients are added to the weights' gradients.</summary>
    public void Backward(Span<float> dh, int tokens, HighwaySaved saved)
    {
        int f = Width, size = tokens * f;
        var x = saved.Input.AsSpan(0, size);
        var gate = saved.Gate.AsSpan(0, size);
        var t = saved.Transform.AsSpan(0, size);
        var dGate = saved.GateGradient.AsSpan(0, size);
        var dT = saved.TransformGradient.AsSpan(0, size);
        var d = dh[..size];
        Gradients.GatedMixBackward(gate, t, x, d, dGate, dT, d);
        Gradients.SigmoidBackward(gate, dGate);
        Gradients.ReluBackward(t, dT);
        Sgemm.Multiply(Transpose.No, Transpose.Yes, tokens, f, f, 1f, dGate, f, carryWeight.Values, f, 1f, d, f);
        Sgemm.Multiply(Transpose.No, Transpose.Yes, tokens, f, f, 1f, dT, f, transformWeight.Values, f, 1f, d, f);
        Sgemm.Multiply(Transpose.Yes, Transpose.No, f, f, tokens, 1f, x, f, dGate, f, 1f, carryWeight.Gradient, f);
        Gradients.AddColumnSums(dGate, tokens, f, carryBias.Gradient);
        Sgemm.Multiply(Transpose.Yes, Transpose.No, f, f, tokens, 1f, x, f, dT, f, 1f, transformWeight.Gradient, f);
        Gradients.AddColumnSums(dT, tokens, f, transformBias.Gradient);
    }

    /// <summary>Frees the packed weights.</summary>
    public void Dispose()
    {
        carryWeight.Dispose();
        transformWeight.Dispose();
    }
}

/// <summary>What a highway layer's forward pass keeps for its backward pass (and backward's scratch), for up to a fixed number of tokens.</summary>
internal sealed class HighwaySaved(int tokens, int width)
{
    /// <summary>The layer input h [N, F].</summary>
    public float[] Input { get; } = new float[tokens * width];

    /// <summary>g [N, F].</summary>
    public float[] Gate { get; } = new float[tokens * width];

    /// <summary>t [N, F].</summary>
    public float[] Transform { get; } = new float[tokens * width];

    /// <summary>Scratch for dL/d(gate pre-activation).</summary>
    public float[] GateGradient { get; } = new float[tokens * width];

    /// <summary>Scratch for dL/d(transform pre-activation).</summary>
    public float[] TransformGradient { get; } = new float[tokens * width];
}
