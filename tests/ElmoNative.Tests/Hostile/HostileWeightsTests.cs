using ElmoNative.Checkpoints;
using ElmoNative.Tests.Reference;
using PureHDF;

namespace ElmoNative.Tests.Hostile;

/// <summary>
/// Weights files that do not match their options or hold what weights cannot (docs/formats.md, "Checks on
/// load"): NaN and infinities, transposed and flattened datasets, other dtypes, datasets of a larger
/// architecture, truncated files. Each ends in one InvalidDataException naming the file and the dataset.
/// </summary>
public class HostileWeightsTests
{
    private static Exception? LoadBothWays(string weights)
    {
        // The streaming load (matrices read in row blocks) and the whole-checkpoint load read differently: both must refuse.
        var whole = HostileFiles.WithinTimeLimit(() => Checkpoint.Load(HostileFiles.FixtureOptions, weights), 20, weights);
        var streaming = HostileFiles.WithinTimeLimit(() => ElmoModel.Load(HostileFiles.FixtureOptions, weights).Dispose(), 20, weights);
        Assert.Equal(whole?.Message, streaming?.Message);
        return streaming;
    }

    [Theory]
    [InlineData("char_embed", 0, float.NaN)]
    [InlineData("CNN/W_cnn_3", 77, float.PositiveInfinity)]
    [InlineData("CNN/b_cnn_0", 3, float.NegativeInfinity)]
    [InlineData("CNN_high_1/W_transform", 12345, float.NaN)]
    [InlineData("CNN_proj/W_proj", 1900, float.PositiveInfinity)]
    [InlineData("RNN_0/RNN/MultiRNNCell/Cell0/LSTMCell/W_0", 8191, float.NaN)]
    [InlineData("RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_0", 5000, float.NegativeInfinity)]
    [InlineData("RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_P_0", 1023, float.NaN)]
    [InlineData("RNN_0/RNN/MultiRNNCell/Cell1/LSTMCell/B", 255, float.PositiveInfinity)]
    public void NonFiniteWeightsAreRefusedNamingTheDatasetAndIndex(string dataset, int index, float value)
    {
        // Before: the file loaded and every vector was NaN.
        using var dir = new TempDirectory();
        string weights = dir.File("weights.hdf5");
        HostileFiles.WriteFixtureWith(weights, t =>
        {
            if (t.Name != dataset) return HostileFiles.Unchanged(t);
            var data = (float[])t.Data.Clone();
            data[index] = value;
            if (index < data.Length - 1) data[^1] = float.NaN; // a later one must not be the one named
            return (t.Name, data, t.Shape.Select(d => (ulong)d).ToArray());
        });
        HostileFiles.AssertCleanError(LoadBothWays(weights), weights, dataset, $"'{dataset}'", $"index {index:N0}", $"{value}");
    }

    [Theory]
    [InlineData("char_embed", "layer 0")]
    [InlineData("CNN/W_cnn_2", "layer 0")]
    [InlineData("CNN_proj/W_proj", "layer 0")]
    public void FiniteWeightsThatOverflowFloat32AreRefusedWhenEmbeddingNotGivenAsNaN(string dataset, string where)
    {
        // Finite weights pass the load's scan, but 3e38 times a few others overflows float32. Before: NaN or infinite
        // vectors (a layer's infinity survives even where the clipped layers above it look finite).
        using var dir = new TempDirectory();
        string weights = dir.File("weights.hdf5");
        HostileFiles.WriteFixtureWith(weights, t =>
        {
            if (t.Name != dataset) return HostileFiles.Unchanged(t);
            var data = ((float[])t.Data).Select(v => MathF.CopySign(3e38f, v)).ToArray();
            return (t.Name, data, t.Shape.Select(d => (ulong)d).ToArray());
        });
        using (var model = ElmoModel.Load(HostileFiles.FixtureOptions, weights))
        {
            var e = Assert.Throws<InvalidDataException>(() => model.Embed([HostileFiles.Sentence]));
            Assert.Contains(where, e.Message);
            Assert.Contains("infinite or NaN", e.Message);
        }
        string output = dir.File("out.hdf5");
        string input = dir.File("in.txt");
        File.WriteAllText(input, string.Join(' ', HostileFiles.Sentence) + "\n");
        CliResult.Run("embed", "--options", HostileFiles.FixtureOptions, "--weights", weights, "--input", input, "--output", output)
            .AssertError(1, "overflow", where);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("CNN_high_0/W_carry")]
    [InlineData("RNN_0/RNN/MultiRNNCell/Cell1/LSTMCell/W_P_0")]
    [InlineData("RNN_1/RNN/MultiRNNCell/Cell0/LSTMCell/W_0")]
    [InlineData("RNN_1/RNN/MultiRNNCell/Cell0/LSTMCell/B")]
    public void HugeWeightsWhoseOverflowTheModelSaturatesOrClipsGiveFiniteVectorsOrTheError(string dataset)
    {
        // A saturated gate (sigmoid of +-infinity) or the cell and projection clips turn an overflow into finite
        // values; whatever stays infinite or NaN is refused. Either way no vector holds a non-finite value.
        using var dir = new TempDirectory();
        string weights = dir.File("weights.hdf5");
        HostileFiles.WriteFixtureWith(weights, t =>
        {
            if (t.Name != dataset) return HostileFiles.Unchanged(t);
            var data = ((float[])t.Data).Select(v => MathF.CopySign(3e38f, v)).ToArray();
            return (t.Name, data, t.Shape.Select(d => (ulong)d).ToArray());
        });
        using var model = ElmoModel.Load(HostileFiles.FixtureOptions, weights);
        try
        {
            var vectors = model.Embed([HostileFiles.Sentence, ["a"]]);
            for (int b = 0; b < 2; b++)
                for (int l = 0; l < vectors.LayerCount; l++)
                    Assert.True(NonFiniteIndex(vectors.Layer(b, l)) < 0, $"sentence {b} layer {l}");
        }
        catch (InvalidDataException e)
        {
            Assert.Contains("infinite or NaN", e.Message);
        }
    }

    private static int NonFiniteIndex(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++) if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    [Theory]
    [InlineData("CNN_proj/W_proj")]
    [InlineData("RNN_0/RNN/MultiRNNCell/Cell0/LSTMCell/W_0")]
    [InlineData("RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_P_0")]
    [InlineData("CNN_high_0/W_carry")]
    public void ATransposedMatrixIsRefusedWithBothShapes(string dataset)
    {
        using var dir = new TempDirectory();
        string weights = dir.File("weights.hdf5");
        var original = HostileFiles.FixtureTensors.Single(t => t.Name == dataset);
        int rows = original.Shape[0], columns = original.Shape[1];
        HostileFiles.WriteFixtureWith(weights, t => t.Name != dataset ? HostileFiles.Unchanged(t)
            : (t.Name, Transpose(t.Data, rows, columns), [(ulong)columns, (ulong)rows]));
        var e = LoadBothWays(weights);
        if (rows == columns)
        {
            // A square matrix transposed has the right shape: nothing can tell (the values are what the file says).
            Assert.Null(e);
            return;
        }
        HostileFiles.AssertCleanError(e, weights, dataset, $"'{dataset}'", $"has shape ({columns}, {rows})", $"expected ({rows}, {columns})");
    }

    [Fact]
    public void AConvolutionWithItsDimensionsPermutedIsRefused()
    {
        // (1, 5, 4, 64) stored as (1, 4, 5, 64): the same number of values in another shape.
        using var dir = new TempDirectory();
        string weights = dir.File("weights.hdf5");
        HostileFiles.WriteFixtureWith(weights, t => t.Name != "CNN/W_cnn_4" ? HostileFiles.Unchanged(t) : (t.Name, t.Data, [1, 4, 5, 64]));
        HostileFiles.AssertCleanError(LoadBothWays(weights), weights, "W_cnn_4", "'CNN/W_cnn_4'", "(1, 4, 5, 64)", "(1, 5, 4, 64)");
    }

    [Fact]
    public void AFlattenedMatrixIsRefused()
    {
        using var dir = new TempDirectory();
        string weights = dir.File("weights.hdf5");
        HostileFiles.WriteFixtureWith(weights, t => t.Name != "CNN_proj/W_proj" ? HostileFiles.Unchanged(t) : (t.Name, t.Data, [(ulong)t.Data.Length]));
        HostileFiles.AssertCleanError(LoadBothWays(weights), weights, "flattened", "'CNN_proj/W_proj'", "(1984)", "(124, 16)");
    }

    [Fact]
    public void ADatasetOfAnotherDtypeIsRefused()
    {
        using var dir = new TempDirectory();
        string weights = dir.File("weights.hdf5");
        HostileFiles.WriteFixtureWith(weights, t => t.Name != "char_embed" ? HostileFiles.Unchanged(t)
            : (t.Name, t.Data.Select(v => (double)v).ToArray(), t.Shape.Select(d => (ulong)d).ToArray()));
        HostileFiles.AssertCleanError(LoadBothWays(weights), weights, "float64", "'char_embed'", "not float32");
    }

    [Theory]
    [InlineData("lstm.n_layers", "RNN_0/RNN/MultiRNNCell/Cell2/LSTMCell/W_0", 32, 64)]
    [InlineData("char_cnn.n_highway", "CNN_high_2/W_carry", 128, 128)]
    [InlineData("filter banks", "CNN/W_cnn_5", 0, 0)]
    public void WeightsOfALargerArchitectureAreRefused(string what, string extra, int rows, int columns)
    {
        // Before: the extra layer was ignored, and the model computed something else than the file holds.
        using var dir = new TempDirectory();
        string weights = dir.File("weights.hdf5");
        var datasets = HostileFiles.FixtureTensors.Select(HostileFiles.Unchanged).OfType<(string, Array, ulong[])>().ToList();
        datasets.Add(rows == 0 ? (extra, new float[1 * 6 * 4 * 8], [1, 6, 4, 8]) : (extra, new float[rows * columns], [(ulong)rows, (ulong)columns]));
        HostileFiles.WriteHdf5(weights, datasets);
        HostileFiles.AssertCleanError(LoadBothWays(weights), weights, extra, $"'{extra}'", what, "do not match");
    }

    [Fact]
    public void ExtraDatasetsOfAnotherKindAreIgnored()
    {
        // Softmax weights or a token cache (docs/formats.md): not part of the architecture, ignored as before.
        using var dir = new TempDirectory();
        string weights = dir.File("weights.hdf5");
        var datasets = HostileFiles.FixtureTensors.Select(HostileFiles.Unchanged).OfType<(string, Array, ulong[])>().ToList();
        datasets.Add(("softmax/W", new float[6], [2, 3]));
        HostileFiles.WriteHdf5(weights, datasets);
        using var a = ElmoModel.Load(HostileFiles.FixtureOptions, HostileFiles.FixtureWeights);
        using var b = ElmoModel.Load(HostileFiles.FixtureOptions, weights);
        Assert.True(Compare.BitIdentical(a.Embed(HostileFiles.Sentence).Activations, b.Embed(HostileFiles.Sentence).Activations));
    }

    [Theory]
    [InlineData(0.999)]
    [InlineData(0.9)]
    [InlineData(0.5)]
    [InlineData(0.02)]
    [InlineData(0.0)]
    public void ATruncatedFileIsRefusedNamingIt(double fraction)
    {
        using var dir = new TempDirectory();
        string weights = dir.File("weights.hdf5");
        byte[] bytes = File.ReadAllBytes(HostileFiles.FixtureWeights);
        File.WriteAllBytes(weights, bytes.AsSpan(0, (int)(bytes.Length * fraction)).ToArray());
        HostileFiles.AssertCleanError(LoadBothWays(weights), weights, $"truncated at {fraction}");
    }

    [Fact]
    public void ChunkedDatasetsLoadAsContiguousOnes()
    {
        // Chunked storage (what h5py writes with chunks=True or compression) is not bounded by the file length, so its
        // chunks are bounded instead; chunks of a dataset's own size or smaller load as before.
        using var dir = new TempDirectory();
        string weights = dir.File("weights.hdf5");
        var file = new H5File();
        foreach (var t in HostileFiles.FixtureTensors)
        {
            var parts = t.Name.Split('/');
            H5Group group = file;
            foreach (string part in parts[..^1])
            {
                if (!group.TryGetValue(part, out var child)) group[part] = child = new H5Group();
                group = (H5Group)child;
            }
            uint[] chunks = t.Shape.Select((d, i) => (uint)(i == 0 ? Math.Max(1, d / 2) : d)).ToArray();
            group[parts[^1]] = new H5Dataset(t.Data, chunks: chunks, fileDims: t.Shape.Select(d => (ulong)d).ToArray());
        }
        file.Write(weights);
        using (var h5 = H5File.OpenRead(weights))
            Assert.Equal(H5DataLayoutClass.Chunked, h5.Dataset("CNN_proj/W_proj").Layout.Class);
        using var a = ElmoModel.Load(HostileFiles.FixtureOptions, HostileFiles.FixtureWeights);
        using var b = ElmoModel.Load(HostileFiles.FixtureOptions, weights);
        Assert.True(Compare.BitIdentical(a.Embed(HostileFiles.Sentence).Activations, b.Embed(HostileFiles.Sentence).Activations));
    }

    [Fact]
    public void CompressedDatasetsThatExpandTooFarAreRefusedBeforeTheyAreRead()
    {
        // A few kilobytes of deflated zeros can stand for gigabytes of values: the values may be at most 64 times the
        // file. Here an LSTM of H = P = 512 (a 1024 x 2048 gate matrix, 8 MB) in a file of a few kilobytes.
        using var dir = new TempDirectory();
        var options = new ElmoOptions
        {
            CharEmbeddingDim = 4, Filters = [new(1, 4)], HighwayLayers = 0, Activation = CharCnnActivation.Relu,
            LstmDim = 512, ProjectionDim = 512, LstmLayers = 1,
        };
        string optionsPath = dir.File("options.json"), weights = dir.File("weights.hdf5");
        File.WriteAllText(optionsPath, options.ToJson());
        var deflate = new PureHDF.VOL.Native.H5DatasetCreation(default!, [new PureHDF.Filters.H5Filter(PureHDF.Filters.DeflateFilter.Id)]);
        var file = new H5File();
        foreach (var (name, shape) in CheckpointLayout.Expected(options))
        {
            var parts = name.Split('/');
            H5Group group = file;
            foreach (string part in parts[..^1])
            {
                if (!group.TryGetValue(part, out var child)) group[part] = child = new H5Group();
                group = (H5Group)child;
            }
            var data = new float[shape.Aggregate(1, (a, b) => a * b)];
            group[parts[^1]] = new H5Dataset(data, chunks: shape.Select(d => (uint)d).ToArray(), fileDims: shape.Select(d => (ulong)d).ToArray(), datasetCreation: deflate);
        }
        file.Write(weights);
        long length = new FileInfo(weights).Length;
        Assert.True(length * CheckpointReader.MaxExpansion < 8 << 20, $"the file has {length} bytes");
        var e = HostileFiles.WithinTimeLimit(() => ElmoModel.Load(optionsPath, weights).Dispose(), 20, "deflated zeros");
        HostileFiles.AssertCleanError(e, weights, "deflated zeros", "more than 64 times");
    }

    private static float[] Transpose(float[] data, int rows, int columns)
    {
        var result = new float[data.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < columns; c++)
                result[c * rows + r] = data[r * columns + c];
        return result;
    }
}
