using PureHDF;
using PureHDF.VOL.Native;

namespace ElmoNative.Checkpoints;

/// <summary>
/// A biLM checkpoint in memory: the options and every weight tensor by its HDF5 dataset name.
/// Read and written in the layout of bilm-tf / AllenNLP (spec section 1, <see cref="CheckpointLayout"/>).
/// </summary>
public sealed class Checkpoint
{
    private readonly Dictionary<string, CheckpointTensor> tensors;

    /// <summary>Creates a checkpoint from tensors; all tensors the options call for must be present with their shapes.</summary>
    public Checkpoint(ElmoOptions options, IEnumerable<CheckpointTensor> tensors, string source = "checkpoint")
    {
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
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{weightsPath}: weights file not found", weightsPath);
        NativeFile file;
        try
        {
            file = H5File.OpenRead(weightsPath);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{weightsPath}: not a readable HDF5 file ({e.Message})", e);
        }
        using (file)
        {
            var list = new List<CheckpointTensor>();
            foreach (var (name, shape) in CheckpointLayout.Expected(options))
                list.Add(ReadDataset(file, weightsPath, name, shape));
            return new Checkpoint(options, list, weightsPath);
        }
    }

    /// <summary>Reads one float32 dataset, checking its shape when <paramref name="expectedShape"/> is given.</summary>
    public static CheckpointTensor ReadDataset(NativeFile file, string path, string name, int[]? expectedShape)
    {
        string expected = expectedShape is null ? "" : $" (expected shape {CheckpointTensor.FormatShape(expectedShape)})";
        IH5Dataset dataset;
        try
        {
            if (!LinkExists(file, name)) throw new InvalidDataException($"{path}: missing dataset '{name}'{expected}");
            dataset = file.Dataset(name);
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: cannot open dataset '{name}'{expected}: {e.Message}", e);
        }

        int[] shape;
        float[] data;
        try
        {
            shape = dataset.Space.Dimensions.Select(d => checked((int)d)).ToArray();
            if (expectedShape is not null && !shape.SequenceEqual(expectedShape))
                throw new InvalidDataException($"{path}: dataset '{name}' has shape {CheckpointTensor.FormatShape(shape)}, expected {CheckpointTensor.FormatShape(expectedShape)}");
            if (dataset.Type.Class != H5DataTypeClass.FloatingPoint || dataset.Type.Size != 4)
                throw new InvalidDataException($"{path}: dataset '{name}' is not float32 ({dataset.Type.Class}, {dataset.Type.Size} bytes)");
            data = dataset.Read<float[]>();
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: cannot read dataset '{name}'{expected}: {e.Message}", e);
        }
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (data.Length != count)
            throw new InvalidDataException($"{path}: dataset '{name}' holds {data.Length} values, its shape {CheckpointTensor.FormatShape(shape)} needs {count}");
        return new CheckpointTensor(name, shape, data);
    }

    private static bool LinkExists(IH5Group root, string name)
    {
        IH5Group group = root;
        var parts = name.Split('/');
        for (int i = 0; i < parts.Length; i++)
        {
            if (!group.LinkExists(parts[i])) return false;
            if (i < parts.Length - 1)
            {
                if (group.Get(parts[i]) is not IH5Group child) return false;
                group = child;
            }
        }
        return true;
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
