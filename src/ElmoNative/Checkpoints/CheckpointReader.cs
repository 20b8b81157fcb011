using ElmoNative.Kernels;
using PureHDF;
using PureHDF.Selections;
using PureHDF.VOL.Native;

namespace ElmoNative.Checkpoints;

/// <summary>
/// An open HDF5 weights file of a known architecture. Opening checks every dataset the options call for (present,
/// float32, expected shape) from the metadata alone, so errors come before any weight is read; tensors are then read
/// one at a time, which lets a model pack each weight and drop it before reading the next (peak memory close to the
/// model's own size). Every error names the file and the dataset, with expected and actual shapes.
/// <para>
/// A hostile file ends in an <see cref="InvalidDataException"/> naming it, never a hang or an allocation it cannot
/// back (docs/formats.md, "Checks on load"): only a regular file is opened; the datasets are checked one by one in file order, so
/// options that call for a thousand layers stop at the first missing one; datasets the options do not call for but
/// that belong to a larger architecture (one more filter bank, highway layer or LSTM layer, a projection the options
/// say is absent) are refused as a mismatch; the uncompressed datasets must fit in the file; a read past the end of
/// the file is an error (<see cref="StrictReadStream"/>), not zeros; every failure of the HDF5 library is wrapped; and
/// every value read is checked to be finite (<see cref="NonFinite"/>), the error naming the dataset and the first bad
/// index.
/// </para>
/// </summary>
public sealed class CheckpointReader : IDisposable
{
    /// <summary>How many times its own size a file's (compressed) datasets may expand to when read: 64.</summary>
    public const int MaxExpansion = 64;

    private readonly NativeFile file;
    private readonly Dictionary<string, (IH5Dataset Dataset, int[] Shape)> datasets = new(StringComparer.Ordinal);

    /// <summary>Opens <paramref name="weightsPath"/> and checks it against <paramref name="options"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a regular file, not HDF5, damaged, or not the weights of these options.</exception>
    public CheckpointReader(ElmoOptions options, string weightsPath)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate("options"); // options made in code are bounded too before the layout is derived from them
        Options = options;
        Path = weightsPath;
        var stream = RegularFile.OpenRead(weightsPath, "weights file");
        long length = stream.Length;
        try
        {
            file = H5File.Open(new StrictReadStream(stream, weightsPath), leaveOpen: false);
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            stream.Dispose();
            throw new InvalidDataException($"{weightsPath}: not a readable HDF5 file ({ErrorText.Describe(e)})", e);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
        try
        {
            long dataBytes = 0, allBytes = 0;
            foreach (var (name, shape) in CheckpointLayout.Expected(options))
            {
                var dataset = Open(name, shape);
                datasets[name] = (dataset, shape);
                long values = shape.Aggregate(1L, (a, b) => a * b);
                if (CheckLayout(name, dataset, values) is H5DataLayoutClass.Contiguous or H5DataLayoutClass.Compact) dataBytes += 4 * values;
                allBytes += 4 * values;
            }
            if (dataBytes > length)
                throw new InvalidDataException($"{weightsPath}: the datasets need {dataBytes:N0} bytes of data but the file has only {length:N0} bytes (truncated?)");
            // Compressed (chunked) datasets can be smaller than their values, but not by more than MaxExpansion.
            if (allBytes > MaxExpansion * length)
                throw new InvalidDataException($"{weightsPath}: the datasets hold {allBytes:N0} bytes of values, more than {MaxExpansion} times the file's {length:N0} bytes");
            RefuseLargerArchitecture(options);
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

    /// <summary>Reads dataset <paramref name="name"/> (one of <see cref="CheckpointLayout.Expected"/>); every value must be finite.</summary>
    public float[] Read(string name)
    {
        var entry = Entry(name);
        long count = entry.Shape.Aggregate(1L, (a, b) => a * b);
        float[] data;
        try
        {
            data = new float[count];
            ((NativeDataset)entry.Dataset).Read<float>(data.AsSpan(), memoryDims: [(ulong)count]);
        }
        catch (Exception e) when (e is not (InvalidDataException or OutOfMemoryException))
        {
            throw new InvalidDataException($"{Path}: cannot read dataset '{name}': {ErrorText.Describe(e)}", e);
        }
        CheckFinite(name, data, 0);
        return data;
    }

    /// <summary>The shape of dataset <paramref name="name"/> (one of <see cref="CheckpointLayout.Expected"/>).</summary>
    public IReadOnlyList<int> Shape(string name) => Entry(name).Shape;

    /// <summary>
    /// Reads rows <paramref name="firstRow"/> .. firstRow + rows - 1 of the 2-D dataset <paramref name="name"/> [R, C]
    /// into <paramref name="buffer"/> (row-major, rows x C values), so that a large matrix can be read in pieces. Every
    /// value must be finite.
    /// </summary>
    public void ReadRows(string name, int firstRow, int rows, Span<float> buffer)
    {
        var entry = Entry(name);
        if (entry.Shape.Length != 2) throw new ArgumentException($"{name} is not a matrix", nameof(name));
        int columns = entry.Shape[1];
        if (firstRow < 0 || rows < 0 || (long)firstRow + rows > entry.Shape[0])
            throw new ArgumentOutOfRangeException(nameof(rows), $"rows {firstRow} .. {firstRow + rows - 1} are outside {name} {CheckpointTensor.FormatShape(entry.Shape)}");
        if (buffer.Length != (long)rows * columns) throw new ArgumentException($"the buffer must hold exactly {rows} x {columns} values", nameof(buffer));
        if (rows == 0 || columns == 0) return;
        try
        {
            var selection = new HyperslabSelection(2, [(ulong)firstRow, 0], [(ulong)rows, (ulong)columns]);
            ((NativeDataset)entry.Dataset).Read(buffer, fileSelection: selection, memoryDims: [(ulong)rows, (ulong)columns]);
        }
        catch (Exception e) when (e is not (InvalidDataException or OutOfMemoryException))
        {
            throw new InvalidDataException($"{Path}: cannot read rows {firstRow} .. {firstRow + rows - 1} of dataset '{name}': {ErrorText.Describe(e)}", e);
        }
        CheckFinite(name, buffer, (long)firstRow * columns);
    }

    /// <summary>Reads every dataset into a <see cref="Checkpoint"/>.</summary>
    public Checkpoint ReadAll() =>
        new(Options, datasets.Select(d => new CheckpointTensor(d.Key, d.Value.Shape, Read(d.Key))).ToList(), Path);

    /// <inheritdoc/>
    public void Dispose() => file.Dispose();

    private (IH5Dataset Dataset, int[] Shape) Entry(string name) =>
        datasets.TryGetValue(name, out var entry) ? entry : throw new ArgumentException($"{name} is not a dataset of this architecture", nameof(name));

    /// <summary>Refuses a NaN or an infinity, naming the dataset and the index of the first (row-major, over the whole dataset).</summary>
    private void CheckFinite(string name, ReadOnlySpan<float> values, long offset)
    {
        int bad = NonFinite.IndexOf(values);
        if (bad >= 0)
            throw new InvalidDataException($"{Path}: dataset '{name}' holds {values[bad]} at index {offset + bad:N0} (flat, row-major); weights must be finite");
    }

    private IH5Dataset Open(string name, int[] expectedShape)
    {
        string expected = $"(expected shape {CheckpointTensor.FormatShape(expectedShape)})";
        try
        {
            if (!LinkExists(file, name)) throw new InvalidDataException($"{Path}: missing dataset '{name}' {expected}, which options with {CalledForBy(name)} call for");
            if (file.Get(name) is not IH5Dataset dataset) throw new InvalidDataException($"{Path}: '{name}' is not a dataset {expected}");
            ulong[] dimensions = dataset.Space.Dimensions;
            if (dimensions.Length != expectedShape.Length || dimensions.Where((d, i) => d != (ulong)expectedShape[i]).Any())
                throw new InvalidDataException($"{Path}: dataset '{name}' has shape ({string.Join(", ", dimensions)}), expected {CheckpointTensor.FormatShape(expectedShape)}");
            if (dataset.Type.Class != H5DataTypeClass.FloatingPoint || dataset.Type.Size != 4)
                throw new InvalidDataException($"{Path}: dataset '{name}' is not float32 ({dataset.Type.Class}, {dataset.Type.Size} bytes)");
            if (expectedShape.Aggregate(1L, (a, b) => a * b) > Array.MaxLength)
                throw new InvalidDataException($"{Path}: dataset '{name}' {CheckpointTensor.FormatShape(expectedShape)} has more values than an array can hold");
            return dataset;
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"{Path}: cannot open dataset '{name}' {expected}: {ErrorText.Describe(e)}", e);
        }
    }

    /// <summary>The options that call for dataset <paramref name="name"/>, for the message when it is missing.</summary>
    private string CalledForBy(string name)
    {
        var o = Options;
        if (name.EndsWith("/W_P_0", StringComparison.Ordinal)) return $"lstm.dim = {o.LstmDim} and lstm.projection_dim = {o.ProjectionDim}";
        if (name.StartsWith("RNN_", StringComparison.Ordinal)) return $"lstm.n_layers = {o.LstmLayers}";
        if (name.StartsWith("CNN_high_", StringComparison.Ordinal)) return $"char_cnn.n_highway = {o.HighwayLayers}";
        if (name.StartsWith("CNN_proj/", StringComparison.Ordinal)) return $"F = {o.FilterCount} filters and lstm.projection_dim = {o.ProjectionDim}";
        if (name.StartsWith("CNN/", StringComparison.Ordinal)) return $"{o.Filters.Count} filter banks (char_cnn.filters)";
        return $"char_cnn.embedding.dim = {o.CharEmbeddingDim}";
    }

    /// <summary>
    /// The dataset's storage layout. A chunked one (possibly compressed, so its size is not bounded by the file's) may
    /// not have chunks of more than max(its own values, 2^20) values: the HDF5 library allocates a whole chunk to read it.
    /// </summary>
    private H5DataLayoutClass CheckLayout(string name, IH5Dataset dataset, long values)
    {
        H5DataLayoutClass layout;
        ulong[] chunks;
        try
        {
            layout = dataset.Layout.Class;
            chunks = layout == H5DataLayoutClass.Chunked ? dataset.Layout.Chunks : [];
        }
        catch (Exception e) when (e is not InvalidDataException)
        {
            throw new InvalidDataException($"{Path}: cannot read the layout of dataset '{name}': {ErrorText.Describe(e)}", e);
        }
        double chunkValues = chunks.Aggregate(1.0, (a, b) => a * b);
        if (layout == H5DataLayoutClass.Chunked && chunkValues > Math.Max(values, 1 << 20))
            throw new InvalidDataException($"{Path}: dataset '{name}' has chunks of ({string.Join(", ", chunks)}) values, more than the dataset holds");
        return layout;
    }

    /// <summary>
    /// Refuses weights of a larger architecture than the options describe: one more filter bank, highway layer or LSTM
    /// layer, or a projection the options say is absent. (Unrelated extra datasets, e.g. softmax weights, are ignored.)
    /// </summary>
    private void RefuseLargerArchitecture(ElmoOptions o)
    {
        void Refuse(string dataset, string options)
        {
            bool present;
            try
            {
                present = LinkExists(file, dataset);
            }
            catch (Exception e) when (e is not InvalidDataException)
            {
                throw new InvalidDataException($"{Path}: cannot look up '{dataset}': {ErrorText.Describe(e)}", e);
            }
            if (present)
                throw new InvalidDataException($"{Path}: holds dataset '{dataset}', which options with {options} do not have: the options and the weights do not match");
        }
        Refuse(CheckpointLayout.ConvWeight(o.Filters.Count), $"{o.Filters.Count} filter banks (char_cnn.filters)");
        Refuse(CheckpointLayout.HighwayCarryWeight(o.HighwayLayers), $"char_cnn.n_highway = {o.HighwayLayers}");
        Refuse(CheckpointLayout.LstmWeight(0, o.LstmLayers), $"lstm.n_layers = {o.LstmLayers}");
        if (!o.HasTokenProjection) Refuse(CheckpointLayout.ProjectionWeight, $"F = P = {o.ProjectionDim} (no token projection)");
        if (!o.HasLstmProjection) Refuse(CheckpointLayout.LstmProjection(0, 0), $"lstm.dim = lstm.projection_dim = {o.LstmDim} (no LSTM projection)");
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
