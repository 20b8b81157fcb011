namespace ElmoNative.Checkpoints;

/// <summary>The published model sizes (spec section 8), for benchmarks and random checkpoints.</summary>
public enum ModelPreset
{
    /// <summary>2x1024_128_2048cnn_1xhighway: 13.6 M parameters.</summary>
    Small,
    /// <summary>2x2048_256_2048cnn_1xhighway: 28.0 M parameters.</summary>
    Medium,
    /// <summary>2x4096_512_2048cnn_2xhighway: 93.6 M parameters.</summary>
    Original,
}

/// <summary>
/// Seeded, reproducible random-weight checkpoints. Weights are scaled as bilm-tf initializes them (character embedding
/// uniform in [-1, 1], convolutions normal with variance 1 / (w E), highway and projection normal with variance 1 / F and
/// a carry bias of -2, LSTM Glorot-uniform), so that activations stay in the range a trained model shows.
/// </summary>
public static class RandomCheckpoint
{
    /// <summary>The options of a published model size.</summary>
    public static ElmoOptions Options(ModelPreset preset)
    {
        (int h, int p, int highway) = preset switch
        {
            ModelPreset.Small => (1024, 128, 1),
            ModelPreset.Medium => (2048, 256, 1),
            ModelPreset.Original => (4096, 512, 2),
            _ => throw new ArgumentOutOfRangeException(nameof(preset)),
        };
        return new ElmoOptions
        {
            CharEmbeddingDim = 16,
            Filters = [new(1, 32), new(2, 32), new(3, 64), new(4, 128), new(5, 256), new(6, 512), new(7, 1024)],
            HighwayLayers = highway,
            Activation = CharCnnActivation.Relu,
            LstmDim = h,
            ProjectionDim = p,
            LstmLayers = 2,
            CellClip = 3,
            ProjectionClip = 3,
            UseSkipConnections = true,
        };
    }

    /// <summary>Parses a preset name (small, medium, original), case-insensitive.</summary>
    public static bool TryParsePreset(string name, out ModelPreset preset) =>
        Enum.TryParse(name, ignoreCase: true, out preset) && Enum.IsDefined(preset);

    /// <summary>A checkpoint of a published size with random weights from <paramref name="seed"/>.</summary>
    public static Checkpoint Create(ModelPreset preset, int seed) => Create(Options(preset), seed);

    /// <summary>A checkpoint for any options with random weights from <paramref name="seed"/>; same seed, same weights.</summary>
    public static Checkpoint Create(ElmoOptions options, int seed)
    {
        options.Validate();
        var random = new Random(seed);
        var tensors = new List<CheckpointTensor>();
        int e = options.CharEmbeddingDim, f = options.FilterCount;
        foreach (var (name, shape) in CheckpointLayout.Expected(options))
        {
            int count = shape.Aggregate(1, (a, b) => a * b);
            var data = new float[count];
            string leaf = name[(name.LastIndexOf('/') + 1)..];
            if (name == CheckpointLayout.CharEmbedding) Uniform(random, data, 1.0);
            else if (leaf.StartsWith("W_cnn_", StringComparison.Ordinal)) Normal(random, data, Math.Sqrt(1.0 / (shape[1] * e)));
            else if (leaf is "W_carry" or "W_transform" or "W_proj") Normal(random, data, Math.Sqrt(1.0 / f));
            else if (leaf == "b_carry") Array.Fill(data, -2f);
            else if (leaf is "W_0" or "W_P_0") Uniform(random, data, Math.Sqrt(6.0 / (shape[0] + shape[1])));
            // Remaining biases (b_cnn, b_transform, b_proj, B) start at zero.
            tensors.Add(new CheckpointTensor(name, shape, data));
        }
        return new Checkpoint(options, tensors, $"random checkpoint (seed {seed})");
    }

    private static void Uniform(Random random, float[] data, double limit)
    {
        for (int i = 0; i < data.Length; i++) data[i] = (float)((random.NextDouble() * 2 - 1) * limit);
    }

    private static void Normal(Random random, float[] data, double std)
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
