namespace ElmoNative.Checkpoints;

/// <summary>
/// A biLM checkpoint in memory: the options and every weight tensor by its HDF5 dataset name.
/// Read and written in the layout of bilm-tf / AllenNLP (docs/model.md section 1, <see cref="CheckpointLayout"/>).
/// </summary>
public sealed class Checkpoint
{
    private readonly Dictionary<string, CheckpointTensor> tensors;

    /// <summary>Creates a checkpoint from tensors; all tensors the options call for must be present with their shapes.</summary>
    public Checkpoint(ElmoOptions options, IEnumerable<CheckpointTensor> tensors, string source = "checkpoint")
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(source); // options made in code are bounded too before the layout is derived from them
        Options = options;
        this.tensors = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
        foreach (var (name, shape) in CheckpointLayout.Expected(options))
        {
            if (!this.tensors.TryGetValue(name, out var t))
                throw new InvalidDataException($"{source}: missing dataset '{name}' (expected shape {CheckpointTensor.FormatShape(shape)})");
            if (!t.Shape.SequenceEqual(shape))
                throw new InvalidDataException($"{source}: dataset '{name}' has shape {CheckpointTensor.FormatShape(t.Shape)}, expected {CheckpointTensor.FormatShape(shape)}");
        }
    }

    /// <summary>The architecture.</summary>
    public ElmoOptions Options { get; }

    /// <summary>All tensors, including extra ones (e.g. softmax weights) that inference ignores.</summary>
    public IReadOnlyDictionary<string, CheckpointTensor> Tensors => tensors;

    /// <summary>The values of dataset <paramref name="name"/>.</summary>
    public float[] this[string name] => tensors[name].Data;

    /// <summary>Total number of parameters the options call for (extra datasets not counted).</summary>
    public long ParameterCount => CountParameters(Options);

    /// <summary>Parameters of a model with these options.</summary>
    public static long CountParameters(ElmoOptions options) =>
        CheckpointLayout.Expected(options).Sum(e => e.Shape.Aggregate(1L, (a, b) => a * b));

    /// <summary>
    /// Reads <paramref name="optionsPath"/> (JSON) and <paramref name="weightsPath"/> (HDF5). Every error names the file,
    /// the dataset and, for a shape mismatch, the expected and actual shapes.
    /// </summary>
    public static Checkpoint Load(string optionsPath, string weightsPath) =>
        LoadWeights(ElmoOptions.Load(optionsPath), weightsPath);

    /// <summary>Reads the weights of a model with known options from an HDF5 file.</summary>
    public static Checkpoint LoadWeights(ElmoOptions options, string weightsPath)
    {
        using var reader = new CheckpointReader(options, weightsPath);
        return reader.ReadAll();
    }

    /// <summary>
    /// Writes <c>options.json</c> and the HDF5 weights (h5py-compatible, uncompressed float32). Each file is written to a
    /// temporary name beside its target and renamed at the end, so a failure leaves no partial file.
    /// </summary>
    public void Save(string optionsPath, string weightsPath)
    {
        CheckpointWriter.WriteWeights(weightsPath, tensors.Values);
        AtomicFile.WriteAllText(optionsPath, Options.ToJson());
    }

    /// <summary>Saves as <c>options.json</c> and <c>weights.hdf5</c> in <paramref name="directory"/> (created if needed).</summary>
    public void SaveDirectory(string directory)
    {
        Directory.CreateDirectory(directory);
        Save(Path.Combine(directory, ModelFiles.OptionsFileName), Path.Combine(directory, ModelFiles.WeightsFileName));
    }
}
