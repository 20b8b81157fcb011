using System.Text.Json.Nodes;
using ElmoNative.Checkpoints;
using ElmoNative.Tests.Reference;
using PureHDF;
using Xunit.Abstractions;

namespace ElmoNative.Tests;

/// <summary>Checkpoint files (docs/model.md section 1): loading, every way it can fail, presets and random checkpoints.</summary>
public class CheckpointTests(ITestOutputHelper output)
{
    private static Checkpoint Tiny => SharedModels.Tiny;

    private static (string Options, string Weights) SaveTiny(TempDirectory dir)
    {
        Tiny.SaveDirectory(dir.Path);
        return (dir.File(ModelFiles.OptionsFileName), dir.File(ModelFiles.WeightsFileName));
    }

    // ----- files missing -----

    [Fact]
    public void MissingOptionsFileNamesTheFile()
    {
        using var dir = new TempDirectory();
        var (_, weights) = SaveTiny(dir);
        string missing = dir.File("nope.json");
        var e = Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(missing, weights));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void MissingWeightsFileNamesTheFile()
    {
        using var dir = new TempDirectory();
        var (options, _) = SaveTiny(dir);
        string missing = dir.File("nope.hdf5");
        var e = Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(options, missing));
        Assert.Contains(missing, e.Message);
    }

    [Fact]
    public void ModelDirectoryWithAMissingFileNamesIt()
    {
        using var dir = new TempDirectory();
        var (options, weights) = SaveTiny(dir);
        File.Delete(weights);
        var e = Assert.Throws<FileNotFoundException>(() => ElmoModel.LoadDirectory(dir.Path));
        Assert.Contains(weights, e.Message);
        File.Delete(options);
        e = Assert.Throws<FileNotFoundException>(() => ElmoModel.LoadDirectory(dir.Path));
        Assert.Contains(options, e.Message);
        string absent = dir.File("absent");
        var d = Assert.Throws<DirectoryNotFoundException>(() => ElmoModel.LoadDirectory(absent));
        Assert.Contains(absent, d.Message);
    }

    // ----- weights file wrong -----

    [Theory]
    [InlineData("char_embed")]
    [InlineData("CNN/W_cnn_2")]
    [InlineData("CNN_high_0/b_transform")]
    [InlineData("CNN_proj/W_proj")]
    [InlineData("RNN_1/RNN/MultiRNNCell/Cell1/LSTMCell/W_P_0")]
    public void MissingDatasetNamesFileDatasetAndShape(string dataset)
    {
        using var dir = new TempDirectory();
        var (options, weights) = SaveTiny(dir);
        CheckpointWriter.WriteWeights(weights, Tiny.Tensors.Values.Where(t => t.Name != dataset));
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(options, weights));
        output.WriteLine(e.Message);
        Assert.Contains(weights, e.Message);
        Assert.Contains($"'{dataset}'", e.Message);
        Assert.Contains("missing", e.Message);
        Assert.Contains(CheckpointTensor.FormatShape(Tiny.Tensors[dataset].Shape), e.Message);
    }

    [Fact]
    public void WrongShapeNamesFileDatasetExpectedAndActual()
    {
        using var dir = new TempDirectory();
        var (options, weights) = SaveTiny(dir);
        string name = CheckpointLayout.LstmWeight(0, 1);
        var original = Tiny.Tensors[name];
        int[] transposed = [original.Shape[1], original.Shape[0]]; // (4H, 2P) instead of (2P, 4H): same count
        var tensors = Tiny.Tensors.Values.Select(t => t.Name == name ? new CheckpointTensor(name, transposed, t.Data) : t);
        CheckpointWriter.WriteWeights(weights, tensors);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(options, weights));
        output.WriteLine(e.Message);
        Assert.Contains(weights, e.Message);
        Assert.Contains(name, e.Message);
        Assert.Contains("(24, 96)", e.Message); // expected (2P, 4H)
        Assert.Contains("(96, 24)", e.Message); // actual
        Assert.True(e.Message.IndexOf("(96, 24)", StringComparison.Ordinal) < e.Message.IndexOf("expected", StringComparison.Ordinal),
            "the message must say which shape is the actual one and which the expected one");
    }

    [Fact]
    public void CharEmbeddingWithTheZeroRowAlreadyAddedIsAWrongShape()
    {
        using var dir = new TempDirectory();
        var (options, weights) = SaveTiny(dir);
        var embed = Tiny.Tensors["char_embed"];
        int e = embed.Shape[1];
        var withZeroRow = new float[262 * e];
        embed.Data.CopyTo(withZeroRow, e);
        CheckpointWriter.WriteWeights(weights, Tiny.Tensors.Values.Select(t => t.Name == "char_embed" ? new CheckpointTensor("char_embed", [262, e], withZeroRow) : t));
        var ex = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(options, weights));
        Assert.Contains(weights, ex.Message);
        Assert.Contains("(262, 4)", ex.Message);
        Assert.Contains("(261, 4)", ex.Message);
    }

    [Fact]
    public void Float64DatasetIsRejectedWithItsName()
    {
        using var dir = new TempDirectory();
        var (options, weights) = SaveTiny(dir);
        // Written with PureHDF directly: every dataset float32 except one float64.
        var file = new H5File();
        foreach (var t in Tiny.Tensors.Values)
        {
            var parts = t.Name.Split('/');
            H5Group group = file;
            foreach (var part in parts[..^1])
            {
                if (!group.TryGetValue(part, out var child)) group[part] = child = new H5Group();
                group = (H5Group)child;
            }
            var dims = t.Shape.Select(d => (ulong)d).ToArray();
            group[parts[^1]] = t.Name == "CNN/b_cnn_1"
                ? new H5Dataset(t.Data.Select(v => (double)v).ToArray(), fileDims: dims)
                : new H5Dataset(t.Data, fileDims: dims);
        }
        file.Write(weights);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(options, weights));
        output.WriteLine(e.Message);
        Assert.Contains(weights, e.Message);
        Assert.Contains("CNN/b_cnn_1", e.Message);
        Assert.Contains("float32", e.Message);
    }

    [Fact]
    public void RandomBytesAreNotAnHdf5File()
    {
        using var dir = new TempDirectory();
        var (options, weights) = SaveTiny(dir);
        var bytes = new byte[4096];
        new Random(3).NextBytes(bytes);
        File.WriteAllBytes(weights, bytes);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(options, weights));
        output.WriteLine(e.Message);
        Assert.Contains(weights, e.Message);
        // And an empty file.
        File.WriteAllBytes(weights, []);
        e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(options, weights));
        Assert.Contains(weights, e.Message);
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(0.5)]
    [InlineData(0.1)]
    [InlineData(0.01)]
    public void TruncatedFileGivesAClearError(double fraction)
    {
        using var dir = new TempDirectory();
        var (options, weights) = SaveTiny(dir);
        var bytes = File.ReadAllBytes(weights);
        File.WriteAllBytes(weights, bytes[..(int)(bytes.Length * fraction)]);
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(options, weights));
        output.WriteLine($"{fraction}: {e.Message}");
        Assert.Contains(weights, e.Message);
    }

    [Fact]
    public void CorruptedBytesInsideTheFileGiveAClearErrorOrTheSameWeights()
    {
        // Flipping bytes in the middle of the file hits either data (values change, loading succeeds) or structure
        // (a clear InvalidDataException naming the file). Nothing else may escape.
        using var dir = new TempDirectory();
        var (options, weights) = SaveTiny(dir);
        var original = File.ReadAllBytes(weights);
        var random = new Random(4);
        for (int trial = 0; trial < 20; trial++)
        {
            var bytes = (byte[])original.Clone();
            int start = random.Next(bytes.Length - 16);
            for (int i = 0; i < 16; i++) bytes[start + i] ^= (byte)(1 + random.Next(255));
            File.WriteAllBytes(weights, bytes);
            try
            {
                Checkpoint.Load(options, weights);
            }
            catch (InvalidDataException e)
            {
                Assert.Contains(weights, e.Message);
            }
        }
    }

    [Fact]
    public void ExtraDatasetsAreIgnored()
    {
        using var dir = new TempDirectory();
        var (options, weights) = SaveTiny(dir);
        int p = Tiny.Options.ProjectionDim;
        var extras = new[]
        {
            new CheckpointTensor("softmax/W", [50, p], new float[50 * p]),
            new CheckpointTensor("softmax/b", [50], new float[50]),
            new CheckpointTensor("embedding", [7, p], new float[7 * p]),
            new CheckpointTensor("CNN_high_5/W_carry", [2, 2], new float[4]),       // a layer the options do not have
            new CheckpointTensor("RNN_0/RNN/MultiRNNCell/Cell9/LSTMCell/B", [3], new float[3]),
        };
        CheckpointWriter.WriteWeights(weights, Tiny.Tensors.Values.Concat(extras));
        var loaded = Checkpoint.Load(options, weights);
        TestCheckpoints.AssertTensorsIdentical(Tiny, loaded);
        Assert.Equal(Tiny.ParameterCount, loaded.ParameterCount);
        using var a = ElmoModel.FromCheckpoint(Tiny);
        using var b = ElmoModel.FromCheckpoint(loaded);
        var sentence = TestSentences.RandomSentence(new Random(8), 12);
        Assert.True(Compare.BitIdentical(a.Embed(sentence).Activations, b.Embed(sentence).Activations));
    }

    // ----- options file wrong -----

    private static string WriteOptions(TempDirectory dir, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(Tiny.Options.ToJson())!.AsObject();
        edit(json);
        string path = dir.File("edited-options.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    [Fact]
    public void MalformedOptionsJson()
    {
        using var dir = new TempDirectory();
        var (_, weights) = SaveTiny(dir);
        foreach (string text in new[] { "{\"lstm\": {\"dim\": 24,", "", "not json at all", "[1, 2, 3]", "null" })
        {
            string path = dir.File("bad.json");
            File.WriteAllText(path, text);
            var e = Assert.Throws<FormatException>(() => Checkpoint.Load(path, weights));
            output.WriteLine(e.Message);
            Assert.Contains(path, e.Message);
        }
    }

    [Theory]
    [InlineData("lstm", "dim", "lstm.dim")]
    [InlineData("lstm", "projection_dim", "lstm.projection_dim")]
    [InlineData("char_cnn", "filters", "char_cnn.filters")]
    [InlineData("char_cnn", "embedding", "char_cnn.embedding")]
    [InlineData("char_cnn", "n_highway", "char_cnn.n_highway")]
    public void MissingOptionsKeyIsNamed(string section, string key, string fullName)
    {
        using var dir = new TempDirectory();
        var (_, weights) = SaveTiny(dir);
        string path = WriteOptions(dir, json => json[section]!.AsObject().Remove(key));
        var e = Assert.Throws<FormatException>(() => Checkpoint.Load(path, weights));
        output.WriteLine(e.Message);
        Assert.Contains(path, e.Message);
        Assert.Contains(fullName, e.Message);
    }

    [Fact]
    public void MissingSectionIsNamed()
    {
        using var dir = new TempDirectory();
        var (_, weights) = SaveTiny(dir);
        string path = WriteOptions(dir, json => json.Remove("lstm"));
        var e = Assert.Throws<FormatException>(() => Checkpoint.Load(path, weights));
        Assert.Contains(path, e.Message);
        Assert.Contains("lstm", e.Message);
    }

    [Theory]
    [InlineData("gelu")]
    [InlineData("ReLU")]
    [InlineData("")]
    public void BadActivationIsNamed(string activation)
    {
        using var dir = new TempDirectory();
        var (_, weights) = SaveTiny(dir);
        string path = WriteOptions(dir, json => json["char_cnn"]!["activation"] = activation);
        var e = Assert.Throws<FormatException>(() => Checkpoint.Load(path, weights));
        output.WriteLine(e.Message);
        Assert.Contains(path, e.Message);
        Assert.Contains("activation", e.Message);
        Assert.Contains($"\"{activation}\"", e.Message);
    }

    [Fact]
    public void ActivationOfTheWrongTypeIsNamed()
    {
        using var dir = new TempDirectory();
        var (_, weights) = SaveTiny(dir);
        string path = WriteOptions(dir, json => json["char_cnn"]!["activation"] = 3);
        var e = Assert.ThrowsAny<Exception>(() => Checkpoint.Load(path, weights));
        output.WriteLine($"{e.GetType().Name}: {e.Message}");
        Assert.IsType<FormatException>(e);
        Assert.Contains(path, e.Message);
        Assert.Contains("activation", e.Message);
    }

    [Theory]
    [InlineData("lstm", "n_layers", "\"two\"", "lstm.n_layers")]
    [InlineData("lstm", "n_layers", "0", "lstm.n_layers")]
    [InlineData("lstm", "dim", "2.5", "lstm.dim")]
    [InlineData("lstm", "cell_clip", "\"3\"", "lstm.cell_clip")]
    [InlineData("lstm", "use_skip_connections", "\"yes\"", "use_skip_connections")]
    [InlineData("char_cnn", "n_characters", "300", "char_cnn.n_characters")]
    public void BadOptionValueIsNamed(string section, string key, string value, string fullName)
    {
        using var dir = new TempDirectory();
        var (_, weights) = SaveTiny(dir);
        string path = WriteOptions(dir, json => json[section]![key] = JsonNode.Parse(value));
        var e = Assert.ThrowsAny<Exception>(() => Checkpoint.Load(path, weights));
        output.WriteLine($"{e.GetType().Name}: {e.Message}");
        Assert.IsType<FormatException>(e);
        Assert.Contains(path, e.Message);
        Assert.Contains(fullName, e.Message);
    }

    [Fact]
    public void TrainingOptionsFileLoadsAndGivesTheSameVectors()
    {
        // Training files say n_characters 261 and carry more keys; inference ignores them (docs/model.md section 1).
        using var dir = new TempDirectory();
        var (options, weights) = SaveTiny(dir);
        string path = WriteOptions(dir, json =>
        {
            json["char_cnn"]!["n_characters"] = 261;
            json["n_tokens_vocab"] = 793471;
            json["batch_size"] = 128;
            json["unroll_steps"] = 20;
            json["n_epochs"] = 10;
            json["dropout"] = 0.1;
            json["all_clip_norm_val"] = 10.0;
            json["n_negative_samples_batch"] = 8192;
            json["bidirectional"] = true;
            json["n_train_tokens"] = 768648884;
        });
        var loaded = Checkpoint.Load(path, weights);
        Assert.Equal(261, loaded.Options.CharacterCount);
        using var a = ElmoModel.Load(options, weights);
        using var b = ElmoModel.FromCheckpoint(loaded);
        var sentence = TestSentences.RandomSentence(new Random(9), 15);
        Assert.True(Compare.BitIdentical(a.Embed(sentence).Activations, b.Embed(sentence).Activations));
    }

    [Fact]
    public void OptionalKeysTakeTheirDefaults()
    {
        // bilm-tf defaults: n_layers 1, no clips, no skip connections, max_characters_per_token 50.
        using var dir = new TempDirectory();
        string path = WriteOptions(dir, json =>
        {
            foreach (var key in new[] { "n_layers", "cell_clip", "proj_clip", "use_skip_connections" }) json["lstm"]!.AsObject().Remove(key);
            json["char_cnn"]!.AsObject().Remove("max_characters_per_token");
        });
        var o = ElmoOptions.Load(path);
        Assert.Equal(1, o.LstmLayers);
        Assert.Null(o.CellClip);
        Assert.Null(o.ProjectionClip);
        Assert.False(o.UseSkipConnections);
        Assert.Equal(50, o.MaxCharactersPerToken);
        // Explicit nulls are "no clipping" too.
        path = WriteOptions(dir, json =>
        {
            json["lstm"]!["cell_clip"] = null;
            json["lstm"]!["proj_clip"] = null;
        });
        o = ElmoOptions.Load(path);
        Assert.Null(o.CellClip);
        Assert.Null(o.ProjectionClip);
    }

    [Fact]
    public void OptionsRoundTripThroughJson()
    {
        using var dir = new TempDirectory();
        foreach (var (c, i) in OptionCombinationTests.Combinations.Select((c, i) => (c, i)))
        {
            var options = OptionCombinationTests.OptionsFor(i, c);
            string path = dir.File($"o{i}.json");
            File.WriteAllText(path, options.ToJson());
            TestCheckpoints.AssertOptionsEqual(options, ElmoOptions.Load(path));
        }
        var odd = SharedModels.TinyOptions with { CellClip = 0.1f, ProjectionClip = 2.7182817f };
        File.WriteAllText(dir.File("odd.json"), odd.ToJson());
        TestCheckpoints.AssertOptionsEqual(odd, ElmoOptions.Load(dir.File("odd.json")));
    }

    [Fact]
    public void OptionsHaveValueEquality()
    {
        // ElmoOptions is a record: options read back from a file equal the ones written, filters included.
        using var dir = new TempDirectory();
        var options = SharedModels.TinyOptions;
        File.WriteAllText(dir.File("o.json"), options.ToJson());
        var loaded = ElmoOptions.Load(dir.File("o.json"));
        Assert.Equal(options, loaded);
        Assert.Equal(options.GetHashCode(), loaded.GetHashCode());
        Assert.NotEqual(options, options with { Filters = [.. options.Filters.Take(3), new(4, 9)] });
        Assert.NotEqual(options, options with { CellClip = null });
        Assert.NotEqual(options, options with { UseSkipConnections = false });
    }

    // ----- presets and random checkpoints -----

    [Theory]
    [InlineData(ModelPreset.Small, 13.6)]
    [InlineData(ModelPreset.Medium, 28.0)]
    [InlineData(ModelPreset.Original, 93.6)]
    public void PresetParameterCounts(ModelPreset preset, double millions)
    {
        var o = RandomCheckpoint.Options(preset);
        long count = Checkpoint.CountParameters(o);
        // The same count written out from the table of docs/model.md section 1.
        int e = o.CharEmbeddingDim, f = o.FilterCount, p = o.ProjectionDim, h = o.LstmDim;
        long expected = 261L * e
            + o.Filters.Sum(x => (long)x.Width * e * x.Count + x.Count)
            + o.HighwayLayers * (2L * f * f + 2L * f)
            + (f != p ? (long)f * p + p : 0)
            + 2L * o.LstmLayers * (2L * p * 4 * h + 4 * h + (h != p ? (long)h * p : 0));
        output.WriteLine($"{preset}: {count:N0} parameters");
        Assert.Equal(expected, count);
        Assert.Equal(millions, Math.Round(count / 1e6, 1));
        Assert.Equal(2048, f);
    }

    [Fact]
    public void SameSeedSameWeightsDifferentSeedDifferentWeights()
    {
        var o = SharedModels.TinyOptions;
        var a = RandomCheckpoint.Create(o, 5);
        var b = RandomCheckpoint.Create(o, 5);
        var c = RandomCheckpoint.Create(o, 6);
        TestCheckpoints.AssertTensorsIdentical(a, b);
        foreach (var (name, tensor) in a.Tensors)
        {
            bool constant = tensor.Data.All(v => v == tensor.Data[0]); // biases that start at a fixed value
            if (!constant) Assert.False(Compare.BitIdentical(tensor.Data, c.Tensors[name].Data), $"{name}: seed 5 and 6 gave the same values");
        }
        Assert.Contains(a.Tensors.Values, t => !t.Data.All(v => v == t.Data[0]));
    }

    [Fact]
    public void SmallPresetActivationsAreRealistic()
    {
        var checkpoint = RandomCheckpoint.Create(ModelPreset.Small, 1);
        Assert.Equal(Checkpoint.CountParameters(checkpoint.Options), checkpoint.Tensors.Values.Sum(t => (long)t.Data.Length));
        using var model = ElmoModel.FromCheckpoint(checkpoint);
        var random = new Random(2);
        var sentences = new[] { 6, 14, 3 }.Select(n => (IReadOnlyList<string>)TestSentences.RandomSentence(random, n)).ToArray();
        var batch = model.Embed(sentences);
        for (int l = 0; l < batch.LayerCount; l++)
        {
            var values = Enumerable.Range(0, batch.Count).SelectMany(b => batch.Layer(b, l).ToArray()).Select(v => (double)v).ToArray();
            Assert.All(values, v => Assert.True(double.IsFinite(v)));
            double mean = values.Average(), std = Math.Sqrt(values.Select(v => (v - mean) * (v - mean)).Average());
            output.WriteLine($"layer {l}: mean {mean:F3}, std {std:F3}, max |v| {values.Max(Math.Abs):F3}");
            Assert.InRange(std, 0.01, 3);
        }
    }
}
