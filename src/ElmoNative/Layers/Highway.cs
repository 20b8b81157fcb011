using ElmoNative.Checkpoints;
using ElmoNative.Kernels;

namespace ElmoNative.Layers;

/// <summary>
/// One highway layer (Srivastava et al. 2015, as used by Kim et al. 2016), spec section 3 step 3:
///   g = sigmoid(h W_carry + b_carry)
///   t = relu(h W_transform + b_transform)      (relu whatever the CNN activation is)
///   h = g * t + (1 - g) * h
/// </summary>
internal sealed class Highway : IDisposable
{
    private readonly Dense carry;
    private readonly Dense transform;

    public Highway(int layer, int width, WeightSource weights)
    {
        carry = new Dense(weights.ReadPacked(CheckpointLayout.HighwayCarryWeight(layer)), weights.Read(CheckpointLayout.HighwayCarryBias(layer)));
        transform = new Dense(weights.ReadPacked(CheckpointLayout.HighwayTransformWeight(layer)), weights.Read(CheckpointLayout.HighwayTransformBias(layer)));
        Width = width;
    }

    /// <summary>F.</summary>
    public int Width { get; }

    /// <summary>h [N, F] in place; gate and candidate are workspaces of N x F floats.</summary>
    public void Forward(Span<float> h, int tokens, Span<float> gate, Span<float> candidate)
    {
        int size = tokens * Width;
        var g = gate[..size];
        var t = candidate[..size];
        carry.Forward(h, Width, g, Width, tokens);
        Activations.Sigmoid(g, g);
        transform.Forward(h, Width, t, Width, tokens);
        Activations.Relu(t, t);
        Activations.GatedMix(g, t, h[..size]);
    }

    /// <summary>Frees the packed weights.</summary>
    public void Dispose()
    {
        carry.Dispose();
        transform.Dispose();
    }
}
