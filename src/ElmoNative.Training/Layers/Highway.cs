using ElmoNative.Checkpoints;
using ElmoNative.Kernels;

namespace ElmoNative.Training.Layers;

/// <summary>
/// One highway layer (spec section 3 step 3), h [N, F] in place:
/// <code>
///   forward:  g = sigmoid(h W_carry + b_carry)   t = relu(h W_transform + b_transform)   y = g t + (1 - g) h
///   backward: dg = dy (t - h) g (1 - g)          dt = dy g [t &gt; 0]
///             dh = dy (1 - g) + dg W_carry^T + dt W_transform^T
///             dW_carry += h^T dg   db_carry += sum dg   dW_transform += h^T dt   db_transform += sum dt
/// </code>
/// Forward saves the layer input h, the gate g and the candidate t (a <see cref="HighwayCache"/>).
/// </summary>
internal sealed class Highway
{
    private readonly ParameterTensor carryWeight, carryBias, transformWeight, transformBias;

    public Highway(ParameterLayout layout, int layer, int width)
    {
        carryWeight = layout[CheckpointLayout.HighwayCarryWeight(layer)];
        carryBias = layout[CheckpointLayout.HighwayCarryBias(layer)];
        transformWeight = layout[CheckpointLayout.HighwayTransformWeight(layer)];
        transformBias = layout[CheckpointLayout.HighwayTransformBias(layer)];
        Width = width;
    }

    /// <summary>F.</summary>
    public int Width { get; }

    /// <summary>h [n, F] in place; the cache receives what backward needs.</summary>
    public void Forward(ParameterSet p, Span<float> h, int n, HighwayCache cache)
    {
        int f = Width, size = n * f;
        var x = cache.Input.AsSpan(0, size);
        var g = cache.Gate.AsSpan(0, size);
        var t = cache.Transform.AsSpan(0, size);
        h[..size].CopyTo(x);
        Sgemm.Multiply(Transpose.No, Transpose.No, n, f, f, 1f, x, f, p.View(carryWeight), f, 0f, g, f);
        Activations.AddRowVector(p.View(carryBias), g, n, f);
        Activations.Sigmoid(g, g);
        Sgemm.Multiply(Transpose.No, Transpose.No, n, f, f, 1f, x, f, p.View(transformWeight), f, 0f, t, f);
        Activations.AddRowVector(p.View(transformBias), t, n, f);
        Activations.Relu(t, t);
        Activations.GatedMix(g, t, h[..size]);
    }

    /// <summary>dh [n, F] in place: on entry dL/dy, on exit dL/dh. Parameter gradients accumulate into <paramref name="g"/>.</summary>
    public void Backward(ParameterSet p, ParameterSet g, Span<float> dh, int n, HighwayCache cache)
    {
        int f = Width, size = n * f;
        var x = cache.Input.AsSpan(0, size);
        var gate = cache.Gate.AsSpan(0, size);
        var t = cache.Transform.AsSpan(0, size);
        var dGate = cache.GateGradient.AsSpan(0, size);
        var dT = cache.TransformGradient.AsSpan(0, size);
        var d = dh[..size];
        Gradients.GatedMixBackward(gate, t, x, d, dGate, dT, d);
        Gradients.SigmoidBackward(gate, dGate);
        Gradients.ReluBackward(t, dT);
        Sgemm.Multiply(Transpose.No, Transpose.Yes, n, f, f, 1f, dGate, f, p.View(carryWeight), f, 1f, d, f);
        Sgemm.Multiply(Transpose.No, Transpose.Yes, n, f, f, 1f, dT, f, p.View(transformWeight), f, 1f, d, f);
        Sgemm.Multiply(Transpose.Yes, Transpose.No, f, f, n, 1f, x, f, dGate, f, 1f, g.View(carryWeight), f);
        Gradients.AddColumnSums(dGate, n, f, g.View(carryBias));
        Sgemm.Multiply(Transpose.Yes, Transpose.No, f, f, n, 1f, x, f, dT, f, 1f, g.View(transformWeight), f);
        Gradients.AddColumnSums(dT, n, f, g.View(transformBias));
    }
}

/// <summary>What a highway layer's forward pass keeps for its backward pass, for up to a fixed number of tokens.</summary>
internal sealed class HighwayCache(int tokens, int width)
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
