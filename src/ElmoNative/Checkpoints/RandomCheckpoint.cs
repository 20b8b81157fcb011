using ElmoNative.Parameters;

namespace ElmoNative.Checkpoints;

/// <summary>The published model sizes (docs/model.md section 8), for benchmarks and random checkpoints.</summary>
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
/// Seeded, reproducible random-weight checkpoints, initialized as the trainer initializes a fresh model
/// (<see cref="ParameterInitializer"/>, bilm-tf's scheme): the same seed gives the weights training would start from.
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
        var layout = CheckpointLayout.Expected(options);
        foreach (var (name, shape) in layout)
        {
            // Within the options' bounds a matrix can still be larger than an array (H = P = 65,536): refuse, naming it.
            long count = shape.Aggregate(1L, (a, b) => a * b);
            if (count > Array.MaxLength)
                throw new FormatException($"options: dataset '{name}' {CheckpointTensor.FormatShape(shape)} would hold {count:N0} values, more than an array can hold; lower lstm.dim, lstm.projection_dim or the filter counts");
        }
        var random = new Random(seed);
        var tensors = new List<CheckpointTensor>();
        foreach (var (name, shape) in layout)
        {
            var data = new float[shape.Aggregate(1, (a, b) => a * b)];
            ParameterInitializer.Fill(options, name, shape, random, data);
            tensors.Add(new CheckpointTensor(name, shape, data));
        }
        return new Checkpoint(options, tensors, $"random checkpoint (seed {seed})");
    }
}
