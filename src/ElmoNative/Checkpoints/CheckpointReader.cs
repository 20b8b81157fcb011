using PureHDF;
using PureHDF.Selections;
using PureHDF.VOL.Native;

namespace ElmoNative.Checkpoints;

/// <summary>
/// An open HDF5 weights file of a known architecture. Opening checks every dataset the options call for (present,
/// float32, expected shape) from the metadata alone, so errors come before any weight is read; tensors are then read
/// one at a time, which lets a model pack each weight and drop it before reading the next (peak memory close to the
/// model's own size). Every error names the file and the dataset, with expected and actual shapes.
/// </summary>
public sealed class CheckpointReader : IDisposable
{
    private readonly NativeFile file;
    private readonly Dictionary<string, (IH5Dataset Dataset, int[] Shape)> datasets = new(StringComparer.Ordinal);

    /// <summary>Opens <paramref name="weightsPath"/> and checks it against <paramref name="options"/>.</summary>
    public CheckpointReader(ElmoOptions options, string weightsPath)
    {
        Options = options;
        Path = weightsPath;
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{weightsPath}: weights file not found", weightsPath);
        try
        {
            file = H5File.OpenRead(weightsPath);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{weightsPath}: not a readable HDF5 file ({e.Message})", e);
        }
        try
        {
            foreach (var (name, shape) in CheckpointLayout.Expected(options))
                datasets[name] = (Open(name, shape), shape);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>The architecture the file was checked against.</summary>
    public ElmoOptions Options { get; }

    /// <summary>The weights file.</summary>
    public string Path { get; }

    /// <summary>Reads dataset <paramref name="name"/> (one of <see cref="CheckpointLayout.Expected"/>).</summary>
    public float[] Read(string name)
    {
        var entry = Entry(name);
        float[] data;
        try
        {
            data = entry.Dataset.Read<float[]>();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{Path}: cannot read dataset '{name}': {e.Message}", e);
        }
        long count = entry.Shape.Aggregate(1L, (a, b) => a * b);
        if (data.Length != count)
            throw new InvalidDataException($"{Path}: dataset '{name}' holds {data.Length} values, its shape {CheckpointTensor.FormatShape(entry.Shape)} needs {count}");
        return data;
    }

    /// <summary>The shape of dataset <paramref name="name"/> (one of <see cref="CheckpointLayout.Expected"/>).</summary>
    public IReadOnlyList<int> Shape(string name) => Entry(name).Shape;

    /// <summary>
    /// Reads rows <paramref name="firstRow"/> .. firstRow + rows - 1 of the 2-D dataset <paramref name="name"/> [R, C]
    /// into <paramref name="buffer"/> (row-major, rows x C values), so that a large matrix can be read in pieces.
    /// </summary>
    public void ReadRows(string name, int firstRow, int rows, Span<float> buffer)
    {
        var entry = Entry(name);
        if (entry.Shape.Length != 2) throw new ArgumentException($"{name} is not a matrix", nameof(name));
        int columns = entry.Shape[1];
        if (firstRow < 0 || rows < 0 || firstRow + rows > entry.Shape[0])
            throw new ArgumentOutOfRangeException(nameof(rows), $"rows {firstRow} .. {firstRow + rows - 1} are outside {name} {CheckpointTensor.FormatShape(entry.Shape)}");
        if (buffer.Length != (long)rows * columns) throw new ArgumentException($"the buffer must hold exactly {rows} x {columns} values", nameof(buffer));
        if (rows == 0 || columns == 0) return;
        try
        {
            var selection = new HyperslabSelection(2, [(ulong)firstRow, 0], [(ulong)rows, (ulong)columns]);
            ((NativeDataset)entry.Dataset).Read(buffer, fileSelection: selection, memoryDims: [(ulong)rows, (ulong)columns]);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{Path}: cannot read rows {firstRow} .. {firstRow + rows - 1} of dataset '{name}': {e.Message}", e);
        }
    }

    /// <summary>Reads every dataset into a <see cref="Checkpoint"/>.</summary>
    public Checkpoint ReadAll() =>
        new(Options, datasets.Select(d => new CheckpointTensor(d.Key, d.Value.Shape, Read(d.Key))).ToList(), Path);

    /// <inheritdoc/>
    public void Dispose() => file.Dispose();

    private (IH5Dataset Dataset, int[] Shape) Entry(string name) =>
        datasets.TryGetValue(name, out var entry) ? entry : throw new ArgumentException($"{name} is not a dataset of this architecture", nameof(name));

    private IH5Dataset Open(string name, int[] expectedShape)
    {
        string expected = $"(expected shape {CheckpointTensor.FormatShape(expectedShape)})";
        try
        {
            if (!LinkExists(file, name)) throw new InvalidDataException($"{Path}: missing dataset '{name}' {expected}");
            var dataset = file.Dataset(name);
            int[] shape = dataset.Space.Dimensions.Select(d => checked((int)d)).ToArray();
            if (!shape.SequenceEqual(expectedShape))
                throw new InvalidDataException($"{Path}: dataset '{name}' has shape {CheckpointTensor.FormatShape(shape)}, expected {CheckpointTensor.FormatShape(expectedShape)}");
            if (dataset.Type.Class != H5DataTypeClass.FloatingPoint || dataset.Type.Size != 4)
                throw new InvalidDataException($"{Path}: dataset '{name}' is not float32 ({dataset.Type.Class}, {dataset.Type.Size} bytes)");
            return dataset;
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{Path}: cannot open dataset '{name}' {expected}: {e.Message}", e);
        }
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
}
