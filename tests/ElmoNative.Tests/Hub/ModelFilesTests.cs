using ElmoNative.Checkpoints;
using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests.Hub;

/// <summary>ModelFiles.Resolve: conventional names first, then "exactly one" (docs/models.md, "Model folders").</summary>
public class ModelFilesTests
{
    private const string OptionsJson = """{ "lstm": { "dim": 8 }, "char_cnn": { "n_characters": 262 } }""";

    private static (string Options, string Weights) ResolveIn(TempDirectory dir, params string[] files)
    {
        foreach (string file in files)
            File.WriteAllText(dir.File(file), file.EndsWith(".json") ? (file.StartsWith("vocab") ? "{\"a\": 1}" : OptionsJson) : "hdf5");
        var (options, weights) = ModelFiles.Resolve(dir.Path);
        return (Path.GetFileName(options), Path.GetFileName(weights));
    }

    [Theory]
    [InlineData("options.json", "weights.hdf5", "options.json", "weights.hdf5")]
    [InlineData("elmo_2x1024_128_2048cnn_1xhighway_options.json", "elmo_2x1024_128_2048cnn_1xhighway_weights.hdf5", null, null)]
    [InlineData("elmo_2x4096_512_2048cnn_2xhighway_options.json", "elmo_2x4096_512_2048cnn_2xhighway_weights_PubMed_only.hdf5", null, null)]
    [InlineData("options.json", "elmo_pt_weights_dgx1.hdf5", null, null)]
    [InlineData("options.json", "lm_weights.hdf5", null, null)]
    [InlineData("config.json", "model.h5", null, null)]
    [InlineData("config.json", "vocab.json", "config.json", null)] // vocab.json is not an options file: ignored ...
    public void Each_naming_convention_resolves(string optionsFile, string weightsFile, string? expectedOptions, string? expectedWeights)
    {
        using var dir = new TempDirectory();
        string[] files = weightsFile.EndsWith(".json") ? [optionsFile, weightsFile, "weights.hdf5"] : [optionsFile, weightsFile];
        var (options, weights) = ResolveIn(dir, files);
        Assert.Equal(expectedOptions ?? optionsFile, options);
        Assert.Equal(expectedWeights ?? (weightsFile.EndsWith(".json") ? "weights.hdf5" : weightsFile), weights);
    }

    [Fact]
    public void Conventional_names_win_over_other_files()
    {
        using var dir = new TempDirectory();
        // A training folder: the inference files beside training state, a training options file and other HDF5 files.
        Assert.Equal(("options.json", "weights.hdf5"),
                     ResolveIn(dir, "options.json", "train_options.json", "weights.hdf5", "training_state.hdf5", "embeddings.hdf5"));
        File.Delete(dir.File("weights.hdf5"));
        File.WriteAllText(dir.File("lm_weights.hdf5"), "hdf5");
        Assert.Equal(("options.json", "lm_weights.hdf5"), ResolveIn(dir));
    }

    [Fact]
    public void The_allennlp_fixture_folder_resolves_to_its_options_and_lm_weights()
    {
        var (options, weights) = ModelFiles.Resolve(Path.GetDirectoryName(Fixtures.AllenNlp("options.json"))!);
        Assert.Equal(Fixtures.AllenNlp("options.json"), options);
        Assert.Equal(Fixtures.AllenNlp("lm_weights.hdf5"), weights);
    }

    [Theory]
    [InlineData(new[] { "options.json", "a_weights.hdf5", "b_weights.hdf5" }, "several weights files (a_weights.hdf5, b_weights.hdf5)")]
    [InlineData(new[] { "options.json", "one.h5", "two.hdf5" }, "several weights files (one.h5, two.hdf5)")]
    [InlineData(new[] { "x_options.json", "y_options.json", "weights.hdf5" }, "several options files (x_options.json, y_options.json)")]
    [InlineData(new[] { "a.json", "b.json", "weights.hdf5" }, "several options files (a.json, b.json)")]
    public void An_ambiguous_folder_is_a_one_line_error_listing_the_candidates(string[] files, string expected)
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<InvalidDataException>(() => ResolveIn(dir, files));
        Assert.Equal($"{dir.Path}: model directory has {expected}; keep one, or give --options and --weights", error.Message);
    }

    [Fact]
    public void An_empty_folder_names_the_missing_options_file()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<FileNotFoundException>(() => ModelFiles.Resolve(dir.Path));
        Assert.StartsWith($"{dir.File("options.json")}: model directory has no options.json", error.Message);
    }

    [Fact]
    public void A_folder_without_weights_names_the_missing_weights_file()
    {
        using var dir = new TempDirectory();
        var error = Assert.Throws<FileNotFoundException>(() => ResolveIn(dir, "options.json", "vocab.json"));
        Assert.StartsWith($"{dir.File("weights.hdf5")}: model directory has no weights.hdf5 (nor lm_weights.hdf5", error.Message);
    }

    [Fact]
    public void A_missing_folder_is_named()
    {
        using var dir = new TempDirectory();
        string missing = dir.File("nothing-here");
        var error = Assert.Throws<DirectoryNotFoundException>(() => ModelFiles.Resolve(missing));
        Assert.Equal($"{missing}: model directory not found", error.Message);
    }
}
