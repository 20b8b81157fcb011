using ElmoNative.Hub;
using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests.Hub;

public class ModelLocatorTests
{
    [Fact]
    public async Task An_existing_directory_resolves_to_its_files()
    {
        string folder = Path.GetDirectoryName(Fixtures.AllenNlp("options.json"))!;
        using var dir = new TempDirectory();
        var (options, weights) = await ModelLocator.ResolveAsync(folder, ModelRegistry.BuiltIn(), new ModelCache(dir.Path), true, null, CancellationToken.None);
        Assert.Equal((Fixtures.AllenNlp("options.json"), Fixtures.AllenNlp("lm_weights.hdf5")), (options, weights));
    }

    [Fact]
    public async Task An_unknown_name_is_a_one_line_error_with_close_names_and_the_list_command()
    {
        using var dir = new TempDirectory();
        var error = await Assert.ThrowsAsync<DirectoryNotFoundException>(() =>
            ModelLocator.ResolveAsync("meduim", ModelRegistry.BuiltIn(), new ModelCache(dir.Path), true, null, CancellationToken.None));
        Assert.Equal("meduim: no such model directory or published model name (did you mean medium? 'elmo models list' shows the names)", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(dir.Path)); // nothing downloaded, nothing created
    }

    [Fact]
    public async Task A_known_name_not_in_the_cache_without_download_says_how_to_get_it()
    {
        using var dir = new TempDirectory();
        var cache = new ModelCache(dir.Path);
        var error = await Assert.ThrowsAsync<FileNotFoundException>(() =>
            ModelLocator.ResolveAsync("small", ModelRegistry.BuiltIn(), cache, false, null, CancellationToken.None));
        string folder = Path.Combine(dir.Path, "small");
        Assert.Equal($"{folder}: model \"small\" is not downloaded (run 'elmo models download small', or to install it by hand, put " +
                     $"elmo_2x1024_128_2048cnn_1xhighway_options.json and elmo_2x1024_128_2048cnn_1xhighway_weights.hdf5 in {folder})", error.Message);
    }

    [Fact]
    public async Task A_known_name_is_downloaded_when_missing()
    {
        using var setup = new DownloadSetup();
        setup.Serve();
        var (registry, _) = setup.Registry();
        var (options, weights) = await ModelLocator.ResolveAsync("elmo_tiny", registry, setup.Cache, true, null, CancellationToken.None);
        Assert.Equal((setup.CachedOptions, setup.CachedWeights), (options, weights));
        Assert.Equal(setup.Weights, File.ReadAllBytes(weights));
    }

    [Fact]
    public async Task LoadPublishedAsync_loads_a_built_in_model_already_in_the_cache_without_network()
    {
        // The offline route of docs/models.md: AllenNLP's file names in the cache folder of "small" (here holding the tiny
        // fixture checkpoint under those names), then load by name. Neither size nor digest is in the registry, so no
        // download is attempted.
        using var dir = new TempDirectory();
        var cache = new ModelCache(dir.Path);
        Assert.True(ModelRegistry.BuiltIn().TryFind("small", out var small));
        Directory.CreateDirectory(cache.DirectoryOf(small));
        File.Copy(Fixtures.AllenNlp("options.json"), cache.PathOf(small, small.Options));
        File.Copy(Fixtures.AllenNlp("lm_weights.hdf5"), cache.PathOf(small, small.Weights));

        using var model = await ElmoModel.LoadPublishedAsync("small", ModelRegistry.BuiltIn(), cache);
        using var original = ElmoModel.Load(Fixtures.AllenNlp("options.json"), Fixtures.AllenNlp("lm_weights.hdf5"));

        var sentence = new[] { "Hello", "world", "." };
        Assert.Equal(original.Embed(sentence).Activations, model.Embed(sentence).Activations);
    }

    [Fact]
    public async Task LoadPublishedAsync_downloads_from_the_registry()
    {
        using var setup = new DownloadSetup();
        setup.Serve();
        var (registry, _) = setup.Registry();
        var progress = new RecordingProgress();

        using var model = await ElmoModel.LoadPublishedAsync("tiny", registry, setup.Cache, progress);

        Assert.Equal(3, model.LayerCount);
        Assert.Contains(progress.Reports, p => p.FileName == "elmo_tiny_weights.hdf5" && p.BytesDone == setup.Weights.Length);
    }
}
