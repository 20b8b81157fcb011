using ElmoNative.Checkpoints;

namespace ElmoNative.Parameters;

/// <summary>
/// The one initializer of a biLM, bilm-tf's (bilm/training.py), seeded and reproducible; the trainer's fresh models and
/// <see cref="RandomCheckpoint"/> both use it:
/// <list type="bullet">
/// <item><c>char_embed</c> uniform in [-1, 1];</item>
/// <item>convolutions: uniform in [-0.05, 0.05] for relu (Kim et al.), normal with std sqrt(1 / (w E)) for tanh; biases 0;</item>
/// <item>highway <c>W_carry</c>, <c>W_transform</c> and the projection <c>W_proj</c>: normal with std sqrt(1 / F);
/// <c>b_carry</c> = -2 (the gate starts mostly carrying), other biases 0;</item>
/// <item>LSTM <c>W_0</c> and <c>W_P_0</c>: Glorot uniform, limit sqrt(6 / (fan_in + fan_out)) (TensorFlow's default); <c>B</c> 0;</item>
/// <item>softmax <c>W</c>: normal with std 1 / sqrt(P); <c>b</c> 0.</item>
/// </list>
/// Tensors draw from one <see cref="Random"/> in layout order (the checkpoint's, then the softmax), so a checkpoint
/// and a trainer made from the same seed start from the same weights.
/// </summary>
internal static class ParameterInitializer
{
    /// <summary>Every tensor of <paramref name="parameters"/>, from <paramref name="seed"/>.</summary>
    public static void Initialize(ParameterSet parameters, int seed)
    {
        var options = parameters.Layout.Options;
        var random = new Random(seed);
        foreach (var t in parameters.Layout.Tensors) Fill(options, t.Name, t.Shape, random, parameters.View(t));
    }

    /// <summary>The initial values of tensor <paramref name="name"/> [shape] into <paramref name="data"/>, drawn from <paramref name="random"/>.</summary>
    public static void Fill(ElmoOptions options, string name, int[] shape, Random random, Span<float> data)
    {
        int e = options.CharEmbeddingDim, f = options.FilterCount, p = options.ProjectionDim;
        string leaf = name[(name.LastIndexOf('/') + 1)..];
        if (name == CheckpointLayout.CharEmbedding) Uniform(random, data, 1.0);
        else if (leaf.StartsWith("W_cnn_", StringComparison.Ordinal))
        {
            if (options.Activation == CharCnnActivation.Relu) Uniform(random, data, 0.05);
            else Normal(random, data, Math.Sqrt(1.0 / (shape[1] * e)));
        }
        else if (leaf is "W_carry" or "W_transform" or "W_proj") Normal(random, data, Math.Sqrt(1.0 / f));
        else if (leaf == "b_carry") data.Fill(-2f);
        else if (leaf is "W_0" or "W_P_0") Uniform(random, data, Math.Sqrt(6.0 / (shape[0] + shape[1])));
        else if (name == ParameterLayout.SoftmaxWeight) Normal(random, data, 1.0 / Math.Sqrt(p));
        else data.Clear(); // b_cnn, b_transform, b_proj, B, softmax/b
    }

    private static void Uniform(Random random, Span<float> data, double limit)
    {
        for (int i = 0; i < data.Length; i++) data[i] = (float)((random.NextDouble() * 2 - 1) * limit);
    }

    private static void Normal(Random random, Span<float> data, double std)
    {
        for (int i = 0; i < data.Length; i += 2)
        {
            // Box-Muller: two independent standard normals from two uniforms.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double r = Math.Sqrt(-2 * Math.Log(u1));
            data[i] = (float)(std * r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < data.Length) data[i + 1] = (float)(std * r * Math.Sin(2 * Math.PI * u2));
        }
    }
}
