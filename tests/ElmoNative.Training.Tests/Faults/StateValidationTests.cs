using System.Text.Json.Nodes;
using ElmoNative.Checkpoints;
using PureHDF;

namespace ElmoNative.Training.Tests.Faults;

/// <summary>
/// Training state that is wrong though its manifest agrees (rewritten after the change, as a tool or an attacker would):
/// out-of-range numbers in the JSON state files, datasets of the wrong shape or dtype, a seed that contradicts the
/// reader position; each refused with one line naming the file and the field or dataset. And a folder written before
/// manifests existed: resumed, with a warning.
/// </summary>
[Collection(TrainingCliCollection.Name)]
public sealed class StateValidationTests(CheckpointFixture checkpoint) : IClassFixture<CheckpointFixture>
{
    private static void EditJson(string path, Action<JsonObject> edit)
    {
        var node = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(node);
        File.WriteAllText(path, node.ToJsonString());
    }

    /// <summary>Rewrites an HDF5 file with one dataset replaced by <paramref name="replacement"/> (data and dimensions).</summary>
    private static void RewriteDataset(string path, string name, Func<float[], ulong[], (Array Data, ulong[] Dims)> replacement)
    {
        var datasets = new List<(string Name, Array Data, ulong[] Dims)>();
        using (var h5 = H5File.OpenRead(path))
        {
            void Walk(IH5Group group, string prefix)
            {
                foreach (var child in group.Children())
                {
                    if (child is IH5Group g)
                    {
                        Walk(g, prefix + child.Name + "/");
                    }
                    else if (child is IH5Dataset d)
                    {
                        string full = prefix + child.Name;
                        float[] data = d.Read<float[]>();
                        ulong[] dims = d.Space.Dimensions;
                        var (newData, newDims) = full == name ? replacement(data, dims) : (data, dims);
                        datasets.Add((full, newData, newDims));
                    }
                }
            }
            Walk(h5, "");
        }
        Assert.Contains(datasets, d => d.Name == name);
        var file = new H5File();
        foreach (var (full, data, dims) in datasets)
        {
            var parts = full.Split('/');
            H5Group group = file;
            for (int i = 0; i < parts.Length - 1; i++)
            {
                if (!group.TryGetValue(parts[i], out var child)) group[parts[i]] = child = new H5Group();
                group = (H5Group)child;
            }
            group[parts[^1]] = new H5Dataset(data, fileDims: dims);
        }
        File.Delete(path);
        file.Write(path);
    }

    private static (Array, ulong[]) Transposed(float[] data, ulong[] dims)
    {
        int rows = (int)dims[0], cols = (int)dims[1];
        var t = new float[data.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[c * rows + r] = data[r * cols + c];
        return (t, [dims[1], dims[0]]);
    }

    [Theory]
    [InlineData("training_state.json", "seed", "9223372036854775808")]
    [InlineData("training_state.json", "seed", "2147483648")]
    [InlineData("training_state.json", "seed", "1e30")]
    [InlineData("training_state.json", "step", "-1")]
    [InlineData("training_state.json", "step", "9223372036854775808")]
    [InlineData("training_state.json", "batch_size", "\"4\"")]
    [InlineData("reader_position.json", "seed", "9223372036854775808")]
    [InlineData("reader_position.json", "windows", "1e300")]
    [InlineData("reader_position.json", "batch", "-4294967296")]
    public void AnOutOfRangeNumberIsNamedWithItsFile(string file, string field, string value)
    {
        string folder = checkpoint.Copy();
        string path = Path.Combine(folder, file);
        EditJson(path, o => o[field] = JsonNode.Parse(value));
        CheckpointManifest.Write(folder);
        CliResult.Run(FaultSupport.Resume(folder, 6)).AssertError(1, path, $"'{field}'");
    }

    [Fact]
    public void ASeedThatContradictsTheReaderPositionIsRefused()
    {
        string folder = checkpoint.Copy();
        string path = Path.Combine(folder, "training_state.json");
        EditJson(path, o => o["seed"] = 12);
        CheckpointManifest.Write(folder);
        CliResult.Run(FaultSupport.Resume(folder, 6)).AssertError(1, "inconsistent checkpoint", "seed 12 in " + path, "reader_position.json");
    }

    public static TheoryData<string, string, string> DatasetCases() => new()
    {
        { "training_state.hdf5", "adagrad/softmax/W", "transposed" },
        { "training_state.hdf5", "adagrad/softmax/W", "flattened" },
        { "training_state.hdf5", "adagrad/char_embed", "int32" },
        { "training_state.hdf5", "adagrad/CNN_proj/W_proj", "float64" },
        { "training_state.hdf5", "lstm_state/1/0/c", "transposed" },
        { "weights.hdf5", "softmax/W", "transposed" },
        { "weights.hdf5", "softmax/b", "int32" },
    };

    [Theory]
    [MemberData(nameof(DatasetCases))]
    public void ADatasetOfTheWrongShapeOrDtypeIsNamed(string file, string dataset, string change)
    {
        string folder = checkpoint.Copy();
        string path = Path.Combine(folder, file);
        RewriteDataset(path, dataset, (data, dims) => change switch
        {
            "transposed" => Transposed(data, dims),
            "flattened" => (data, [(ulong)data.Length]),
            "int32" => (data.Select(v => (int)v).ToArray(), dims),
            _ => (data.Select(v => (double)v).ToArray(), dims),
        });
        CheckpointManifest.Write(folder);
        CliResult.Run(FaultSupport.Resume(folder, 6)).AssertError(1, path, $"'{dataset}'");
    }

    [Fact]
    public void AFolderWrittenBeforeManifestsResumesWithAWarningAndThenHasOne()
    {
        string folder = checkpoint.Copy();
        File.Delete(Path.Combine(folder, CheckpointManifest.FileName));
        EditJson(Path.Combine(folder, "training_state.json"), o => o.Remove("manifest"));
        var result = CliResult.Run(FaultSupport.Resume(folder, 4));
        Assert.Equal(0, result.ExitCode);
        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length); // the warning and the summary
        Assert.Equal($"elmo: warning: {folder}: checkpoint written before manifests existed (no manifest.json); its files are not verified. The next checkpoint saved will have one", lines[0]);
        Assert.Equal(7, CheckpointManifest.Verify(folder).Count);
    }

    [Fact]
    public void AManifestThatNoLongerListsAFileIsRefused()
    {
        string folder = checkpoint.Copy();
        File.Move(Path.Combine(folder, "vocab.txt"), Path.Combine(checkpoint.Dir.Root, "vocab-" + Path.GetFileName(folder)));
        CheckpointManifest.Write(folder); // a manifest of six files
        File.Move(Path.Combine(checkpoint.Dir.Root, "vocab-" + Path.GetFileName(folder)), Path.Combine(folder, "vocab.txt"));
        CliResult.Run(FaultSupport.Resume(folder, 6)).AssertError(1, Path.Combine(folder, "vocab.txt"), "not listed");
    }
}
