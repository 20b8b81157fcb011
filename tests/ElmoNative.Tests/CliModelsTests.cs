using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using ElmoNative.Cli;
using ElmoNative.Hub;
using ElmoNative.Tests.Hub;

namespace ElmoNative.Tests;

/// <summary>
/// <c>elmo models list|download|path</c>, <c>--model NAME</c> and <c>--registry FILE</c>, against a real HTTP server on
/// 127.0.0.1 started by each test (<see cref="DownloadSetup"/>: the AllenNLP fixture served as the model "tiny" of a user
/// registry). The cache root is a temporary folder given as ELMONATIVE_HOME through the command's own environment, never
/// the process's.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CliModelsTests : IDisposable
{
    private readonly DownloadSetup setup = new();
    private readonly CliSandbox sandbox = new();

    public void Dispose()
    {
        setup.Dispose();
        sandbox.Dispose();
    }

    private Dictionary<string, string> Environment => new() { [ModelCache.HomeVariable] = setup.Cache.Root };

    private CliResult Elmo(params string[] args) => CliResult.RunWithEnvironment(Environment, args);

    /// <summary>Requests the server has answered so far.</summary>
    private int RequestCount => setup.Server.Requests.Count;

    private static string FixtureFolder => Path.GetDirectoryName(Fixtures.AllenNlp("options.json"))!;

    private string Input => sandbox.WriteInput("in.txt", "The bank of the river .\nA second , longer sentence with more words\n");

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void List_shows_every_built_in_model_and_the_user_registry_entry_with_its_cache_status()
    {
        setup.Serve(ServeMode.CutOnce, setup.Weights.Length / 2);
        setup.Registry();
        var builtIn = ModelRegistry.BuiltIn().Models;

        var list = Elmo("models", "list", "--registry", setup.RegistryPath).AssertOk();
        var lines = Lines(list.Stdout);
        Assert.StartsWith("NAME ", lines[0]);
        foreach (var model in builtIn)
        {
            string line = Assert.Single(lines, l => l.StartsWith(model.Name + " ", StringComparison.Ordinal));
            Assert.EndsWith("not downloaded", line);
        }
        string small = lines.Single(l => l.StartsWith("small ", StringComparison.Ordinal));
        Assert.Matches(@"^small +elmo_2x1024_128_2048cnn_1xhighway \+1 +13\.6 M +~54 MB +en +not downloaded$", small);
        Assert.EndsWith("not downloaded", lines.Single(l => l.StartsWith("tiny ", StringComparison.Ordinal)));
        Assert.Contains($"cache folder: {setup.Cache.Root}", lines);
        Assert.Contains($"user registry: {setup.RegistryPath}", lines);
        Assert.Contains("~ approximate: parameters x 4 bytes", list.Stdout);
        Assert.StartsWith($"models list: {builtIn.Count + 1} models, 0 complete, 0 partial, ", list.Summary);
        Assert.Equal(0, RequestCount); // listing costs no request

        // Without --registry: only the built-in list; with ELMONATIVE_REGISTRY: the user entry again.
        Assert.DoesNotContain("tiny", Elmo("models", "list").AssertOk().Stdout);
        var viaVariable = CliResult.RunWithEnvironment(
            new Dictionary<string, string>(Environment) { [ModelRegistry.RegistryVariable] = setup.RegistryPath }, "models", "list").AssertOk();
        Assert.Contains(Lines(viaVariable.Stdout), l => l.StartsWith("tiny ", StringComparison.Ordinal));

        // A download cut half way: partial. Resumed: complete, with the file's exact size.
        Elmo("models", "download", "tiny", "--registry", setup.RegistryPath).AssertError(1, DownloadSetup.WeightsPath, "run again to resume");
        Assert.EndsWith(" partial", Lines(Elmo("models", "list", "--registry", setup.RegistryPath).AssertOk().Stdout).Single(l => l.StartsWith("tiny ")));
        Elmo("models", "download", "tiny", "--registry", setup.RegistryPath).AssertOk();
        var after = Elmo("models", "list", "--registry", setup.RegistryPath, "--verify").AssertOk();
        Assert.Matches($@"^tiny +elmo_tiny +\? +{ModelsCommand.FormatBytes(setup.Weights.Length)} +\? +complete$", Lines(after.Stdout).Single(l => l.StartsWith("tiny ")));
        Assert.StartsWith($"models list: {builtIn.Count + 1} models, 1 complete (verified), 0 partial, ", after.Summary);

        // --json: every field, for scripts.
        var json = Elmo("models", "list", "--registry", setup.RegistryPath, "--json").AssertOk();
        using var document = JsonDocument.Parse(json.Stdout);
        var root = document.RootElement;
        Assert.Equal(setup.Cache.Root, root.GetProperty("cache").GetString());
        var models = root.GetProperty("models").EnumerateArray().ToList();
        Assert.Equal([.. builtIn.Select(m => m.Name), DownloadSetup.Name], models.Select(m => m.GetProperty("name").GetString()));
        var tiny = models.Single(m => m.GetProperty("name").GetString() == DownloadSetup.Name);
        Assert.Equal("complete", tiny.GetProperty("cache").GetString());
        Assert.Equal(setup.Folder, tiny.GetProperty("folder").GetString());
        Assert.Equal(setup.Weights.Length, tiny.GetProperty("weightsBytes").GetInt64());
        Assert.False(tiny.GetProperty("weightsBytesApproximate").GetBoolean());
        Assert.Equal(setup.Server.UrlOf(DownloadSetup.WeightsPath).ToString(), tiny.GetProperty("weights").GetProperty("url").GetString());
        Assert.Equal(["elmo_tiny"], tiny.GetProperty("aliases").EnumerateArray().Select(a => a.GetString()));
        var smallJson = models[0];
        Assert.Equal(54_400_000, smallJson.GetProperty("weightsBytes").GetInt64());
        Assert.True(smallJson.GetProperty("weightsBytesApproximate").GetBoolean());
        Assert.Equal("not downloaded", smallJson.GetProperty("cache").GetString());
    }

    [Fact]
    public void Download_writes_the_files_prints_the_folder_and_a_second_run_makes_no_request()
    {
        setup.Serve();
        setup.Registry();

        var first = Elmo("models", "download", "tiny", "--registry", setup.RegistryPath).AssertOk();
        Assert.Equal(setup.Folder + "\n", first.Stdout);
        Assert.Equal(setup.Options, File.ReadAllBytes(setup.CachedOptions));
        Assert.Equal(setup.Weights, File.ReadAllBytes(setup.CachedWeights));
        Assert.Empty(Directory.GetFiles(setup.Folder, "*.partial"));
        Assert.Equal(2, RequestCount);
        long bytes = setup.Options.Length + setup.Weights.Length;
        Assert.Matches($@"^models download: 1 downloaded \({ModelsCommand.FormatBytes(bytes)} received\), [0-9.]+ s -> {System.Text.RegularExpressions.Regex.Escape(setup.Folder)}$", first.Summary);

        // Already complete: no request, and the summary says so. An alias finds it too (case-insensitively).
        var second = Elmo("models", "download", "ELMO_TINY", "--registry", setup.RegistryPath).AssertOk();
        Assert.Equal(setup.Folder + "\n", second.Stdout);
        Assert.Contains("tiny already complete in the cache (no download)", second.Summary);
        Assert.Equal(2, RequestCount);

        var path = Elmo("models", "path", "tiny", "--registry", setup.RegistryPath).AssertOk();
        Assert.Equal(setup.Folder + "\n", path.Stdout);
        Assert.StartsWith("models path: tiny complete, ", path.Summary);
        Assert.Equal(2, RequestCount);
    }

    [Fact]
    public void Download_shows_progress_lines_with_progress_and_resumes_a_cut_download()
    {
        int half = setup.Weights.Length / 2;
        setup.Serve(ServeMode.CutOnce, half);
        setup.Registry();

        Elmo("models", "download", "tiny", "--registry", setup.RegistryPath).AssertError(1,
            setup.Server.UrlOf(DownloadSetup.WeightsPath).ToString(), "run again to resume", setup.Folder);
        Assert.False(File.Exists(setup.CachedWeights));
        Assert.Equal(half, new FileInfo(setup.CachedWeights + ModelCache.PartialSuffix).Length); // kept for resuming

        var resumed = Elmo("models", "download", "tiny", "--registry", setup.RegistryPath, "--progress");
        Assert.Equal(0, resumed.ExitCode);
        var stderr = Lines(resumed.Stderr);
        // One final line for the resumed file (the options file was complete: no bar), then the summary.
        Assert.Equal(2, stderr.Length);
        Assert.Matches(@"^download elmo_tiny_weights\.hdf5: 450\.9/450\.9 kB \(100%\), [0-9.]+ [kMG]B/s, [0-9]+ s$", stderr[0]);
        Assert.StartsWith($"models download: 1 downloaded ({ModelsCommand.FormatBytes(setup.Weights.Length - half)} received)", stderr[1]);
        var weightRequests = setup.RequestsFor(DownloadSetup.WeightsPath);
        Assert.Equal($"bytes={half}-", weightRequests[^1].Range);
        Assert.Equal(setup.Weights, File.ReadAllBytes(setup.CachedWeights));
    }

    [Fact]
    public async Task Ctrl_C_during_a_download_exits_130_and_the_next_run_resumes()
    {
        setup.Serve(ServeMode.HangAfterBytes, 100_000);
        setup.Registry();
        using var cancellation = new CancellationTokenSource();
        string partial = setup.CachedWeights + ModelCache.PartialSuffix;

        var run = Task.Run(() => CliResult.RunWithEnvironment(Environment, cancellation.Token,
            "embed", "--model", "tiny", "--registry", setup.RegistryPath, "--input", Input, "--output", sandbox.Output("o.hdf5")));
        await setup.Server.Hanging.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // The server has sent 100,000 bytes; wait (bounded) until the client has written them, then cancel.
        for (int i = 0; i < 600 && (!File.Exists(partial) || new FileInfo(partial).Length < 100_000); i++) await Task.Delay(50);
        cancellation.Cancel();
        (await run).AssertError(130, "interrupted");
        Assert.Equal(100_000, new FileInfo(partial).Length);
        Assert.False(File.Exists(setup.CachedWeights));
        sandbox.AssertOutputEmpty();

        setup.Serve(ServeMode.Normal);
        Elmo("models", "download", "tiny", "--registry", setup.RegistryPath).AssertOk();
        Assert.Equal("bytes=100000-", setup.RequestsFor(DownloadSetup.WeightsPath)[^1].Range);
        Assert.Equal(setup.Weights, File.ReadAllBytes(setup.CachedWeights));
    }

    [Fact]
    public void Embed_with_a_model_name_downloads_it_then_embeds_exactly_as_the_fixture_folder()
    {
        setup.Serve();
        setup.Registry();
        string input = Input;
        string viaFolder = sandbox.Output("folder.hdf5"), viaName = sandbox.Output("name.hdf5"), again = sandbox.Output("again.hdf5");

        Elmo("embed", "--model", FixtureFolder, "--input", input, "--output", viaFolder).AssertOk();
        Assert.Equal(0, RequestCount);
        Elmo("embed", "--model", "tiny", "--registry", setup.RegistryPath, "--input", input, "--output", viaName).AssertOk();
        Assert.Equal(2, RequestCount);
        Assert.True(setup.Cache.IsComplete(setup.Registry().Model));
        Assert.Equal(File.ReadAllBytes(viaFolder), File.ReadAllBytes(viaName));

        // Cached: no request. AllenNLP's spelling, info and token-embeddings take the name too.
        Elmo("embed", input, again, "--all", "--stateless", "--model", "elmo_tiny", "--registry", setup.RegistryPath).AssertOk();
        Assert.Equal(File.ReadAllBytes(viaFolder), File.ReadAllBytes(again));
        var info = Elmo("info", "--model", "tiny", "--registry", setup.RegistryPath).AssertOk();
        Assert.Contains($"options:        {setup.CachedOptions}", info.Stdout);
        Assert.Contains("parameters:     105,120", info.Stdout);
        Elmo("token-embeddings", "--model", "tiny", "--registry", setup.RegistryPath, "--vocab", sandbox.WriteInput("vocab.txt", "bank\nriver\n"),
            "--output", sandbox.Output("tokens.hdf5")).AssertOk();
        Assert.Equal(2, RequestCount);
    }

    [Fact]
    public void A_fixture_folder_with_lm_weights_is_a_model_folder()
    {
        // tests/fixtures/allennlp-elmo: options.json and lm_weights.hdf5 beside reference outputs (other HDF5 files).
        string viaFolder = sandbox.Output("folder.hdf5"), viaFiles = sandbox.Output("files.hdf5");
        string input = Input;
        Elmo("embed", "--model", FixtureFolder, "--input", input, "--output", viaFolder, "--layers", "top").AssertOk();
        Elmo(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", viaFiles, "--layers", "top"]).AssertOk();
        Assert.Equal(File.ReadAllBytes(viaFiles), File.ReadAllBytes(viaFolder));
        Assert.Contains($"weights:        {Fixtures.AllenNlp("lm_weights.hdf5")}", Elmo("info", "--model", FixtureFolder).AssertOk().Stdout);
    }

    [Fact]
    public void A_folder_with_two_weights_files_is_an_error_listing_them()
    {
        string dir = Directory.CreateDirectory(Path.Combine(sandbox.InputDirectory, "two")).FullName;
        File.Copy(Fixtures.AllenNlp("options.json"), Path.Combine(dir, "elmo_x_options.json"));
        File.Copy(Fixtures.AllenNlp("lm_weights.hdf5"), Path.Combine(dir, "a_weights.hdf5"));
        File.Copy(Fixtures.AllenNlp("lm_weights.hdf5"), Path.Combine(dir, "b_weights.hdf5"));
        Elmo("embed", "--model", dir, "--input", Input, "--output", sandbox.Output("o.hdf5")).AssertError(1, dir, "a_weights.hdf5", "b_weights.hdf5");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void An_unknown_name_is_one_line_with_close_names_and_no_request()
    {
        setup.Serve();
        setup.Registry();
        Elmo("embed", "--model", "meduim", "--input", Input, "--output", sandbox.Output("o.hdf5"))
            .AssertError(1, "meduim", "did you mean medium?", "'elmo models list'");
        Elmo("info", "--model", "tinny", "--registry", setup.RegistryPath).AssertError(1, "tinny", "did you mean tiny?", "'elmo models list'");
        Elmo("models", "download", "tiny", "smal", "--registry", setup.RegistryPath).AssertError(1, "smal", "did you mean small?", "'elmo models list'");
        Elmo("models", "path", "nothing-like-it").AssertError(1, "nothing-like-it", "no published model", "'elmo models list'");
        Assert.Equal(0, RequestCount); // the known name before the unknown one was not downloaded either
        Assert.False(Directory.Exists(setup.Cache.Root));
        sandbox.AssertOutputEmpty();
        // A registry file that is not there is one line naming it.
        Elmo("models", "list", "--registry", Path.Combine(sandbox.InputDirectory, "none.json")).AssertError(1, "none.json", "registry file not found");
    }

    [Fact]
    public void A_404_fails_with_the_url_and_leaves_nothing_in_the_cache()
    {
        setup.Server.Serve(DownloadSetup.WeightsPath, setup.Weights); // the options file is missing on the server
        setup.Registry();
        string url = setup.Server.UrlOf(DownloadSetup.OptionsPath).ToString();

        Elmo("models", "download", "tiny", "--registry", setup.RegistryPath).AssertError(1, url, "HTTP 404");
        Elmo("embed", "--model", "tiny", "--registry", setup.RegistryPath, "--input", Input, "--output", sandbox.Output("o.hdf5"))
            .AssertError(1, url, "HTTP 404");
        Assert.Empty(Directory.EnumerateFileSystemEntries(setup.Cache.Root, "*", SearchOption.AllDirectories));
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void Offline_fails_with_the_url_and_the_folder_to_fill_by_hand()
    {
        // A port nobody listens on: connection refused, as offline.
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        setup.Registry(baseUrl: $"http://127.0.0.1:{port}/");

        Elmo("embed", "--model", "tiny", "--registry", setup.RegistryPath, "--input", Input, "--output", sandbox.Output("o.hdf5"))
            .AssertError(1, $"http://127.0.0.1:{port}/{DownloadSetup.OptionsPath}", "cannot connect", setup.Folder,
                         "elmo_tiny_options.json", "elmo_tiny_weights.hdf5");
        Assert.Empty(Directory.EnumerateFileSystemEntries(setup.Cache.Root, "*", SearchOption.AllDirectories));
        sandbox.AssertOutputEmpty();

        // Filled by hand as the message says: used without any network.
        Directory.CreateDirectory(setup.Folder);
        File.Copy(Fixtures.AllenNlp("options.json"), setup.CachedOptions);
        File.Copy(Fixtures.AllenNlp("lm_weights.hdf5"), setup.CachedWeights);
        Elmo("info", "--model", "tiny", "--registry", setup.RegistryPath).AssertOk();
        Assert.EndsWith(" complete", Lines(Elmo("models", "list", "--registry", setup.RegistryPath).AssertOk().Stdout).Single(l => l.StartsWith("tiny ")));
    }

    [Fact]
    public void Models_without_a_subcommand_and_help()
    {
        Elmo("models").AssertError(2, "models: missing subcommand (list, download, path)");
        Elmo("models", "fetch", "small").AssertError(2, "unknown subcommand 'fetch'");
        Elmo("models", "download").AssertError(2, "models download");
        Assert.StartsWith("usage: elmo models list", Elmo("models", "--help").AssertOk().Stdout);
        Assert.StartsWith("usage: elmo models download NAME...", Elmo("help", "models", "download").AssertOk().Stdout);
        Assert.StartsWith("usage: elmo models path NAME", Elmo("models", "path", "-h").AssertOk().Stdout);
    }

    [Fact]
    public void Download_progress_is_shown_in_the_unit_of_the_file_size()
    {
        var clock = TimeSpan.Zero;
        var log = new StringWriter();
        var bar = new ProgressBar(log, ProgressMode.Log, "download w.hdf5", 374_000_000, "bytes", clock: () => clock) { Bytes = true };
        clock = TimeSpan.FromSeconds(10);
        bar.Update(187_000_000);
        clock = TimeSpan.FromSeconds(15);
        bar.Update(280_500_000); // under 10 s since the last line: none
        clock = TimeSpan.FromSeconds(19);
        bar.Update(374_000_000); // nor here
        clock = TimeSpan.FromSeconds(20);
        bar.Finish(); // the last line
        Assert.Equal(["download w.hdf5: 187.0/374.0 MB (50%), 18.7 MB/s, 10 s, ETA 0:10", "download w.hdf5: 374.0/374.0 MB (100%), 18.7 MB/s, 20 s"],
                     Lines(log.ToString().ReplaceLineEndings("\n")));

        var terminal = new ProgressBar(TextWriter.Null, ProgressMode.Terminal, "download o.json", -1, "bytes") { Bytes = true };
        terminal.Update(2_500);
        Assert.Equal("download o.json: 2.5 kB/?, 0.5 kB/s, 5 s", terminal.Render(TimeSpan.FromSeconds(5)));
        terminal.Total = 1_500_000_000;
        Assert.Equal("download o.json [------------------------]   0% 0.0/1.5 GB, 0.5 kB/s ETA 833:19:55", terminal.Render(TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData(999, "999 bytes")]
    [InlineData(450_896, "451 kB")]
    [InlineData(1_260_000, "1.3 MB")]
    [InlineData(54_400_000, "54 MB")]
    [InlineData(1_500_000_000, "1.5 GB")]
    public void Sizes_are_shown_in_powers_of_1000(long bytes, string expected) => Assert.Equal(expected, ModelsCommand.FormatBytes(bytes));
}
