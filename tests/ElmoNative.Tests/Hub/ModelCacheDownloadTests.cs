using System.Net.Sockets;
using ElmoNative.Hub;

namespace ElmoNative.Tests.Hub;

/// <summary>ModelCache.DownloadAsync against a real HTTP server on 127.0.0.1 started by each test.</summary>
public class ModelCacheDownloadTests
{
    [Fact]
    public async Task Download_writes_both_files_records_their_digests_and_a_second_call_makes_no_request()
    {
        using var setup = new DownloadSetup();
        setup.Serve();
        var (registry, model) = setup.Registry();
        var progress = new RecordingProgress();

        string folder = await setup.Cache.DownloadAsync(model, progress);

        Assert.Equal(setup.Folder, folder);
        Assert.Equal(setup.Options, File.ReadAllBytes(setup.CachedOptions));
        Assert.Equal(setup.Weights, File.ReadAllBytes(setup.CachedWeights));
        Assert.Equal($"{DownloadSetup.Sha256(setup.Weights)}  elmo_tiny_weights.hdf5\n", File.ReadAllText(setup.CachedWeights + ".sha256"));
        Assert.Equal($"{DownloadSetup.Sha256(setup.Options)}  elmo_tiny_options.json\n", File.ReadAllText(setup.CachedOptions + ".sha256"));
        Assert.Empty(Directory.GetFiles(folder, "*.partial"));
        Assert.True(setup.Cache.IsComplete(model));
        Assert.Equal(2, setup.Server.Requests.Count);
        Assert.All(setup.Server.Requests, r => Assert.Null(r.Range));
        var last = progress.Reports.Last(p => p.FileName == "elmo_tiny_weights.hdf5");
        Assert.Equal(setup.Weights.Length, last.BytesDone);
        Assert.Equal(setup.Weights.Length, last.BytesTotal);

        // Complete in the cache: no request at all, by DownloadAsync or by the locator.
        Assert.Equal(folder, await setup.Cache.DownloadAsync(model));
        var (options, weights) = await ModelLocator.ResolveAsync("TINY", registry, setup.Cache, download: true, null, CancellationToken.None);
        Assert.Equal(2, setup.Server.Requests.Count);
        Assert.Equal((setup.CachedOptions, setup.CachedWeights), (options, weights));

        // The downloaded model loads and embeds exactly as the original files do.
        var sentence = "The bank of the river".Split(' ');
        using var downloaded = ElmoModel.Load(options, weights);
        using var original = ElmoModel.Load(Fixtures.AllenNlp("options.json"), Fixtures.AllenNlp("lm_weights.hdf5"));
        var got = downloaded.Embed(sentence);
        var expected = original.Embed(sentence);
        Assert.Equal(3, got.LayerCount);
        for (int layer = 0; layer < got.LayerCount; layer++)
            Assert.Equal(expected.Layer(0, layer).ToArray(), got.Layer(0, layer).ToArray());
        Assert.Contains(got.Layer(0, 2).ToArray(), v => v != 0);
    }

    [Fact]
    public async Task A_connection_cut_half_way_is_resumed_with_a_range_request()
    {
        using var setup = new DownloadSetup();
        int half = setup.Weights.Length / 2;
        setup.Serve(ServeMode.CutOnce, half);
        var (_, model) = setup.Registry();

        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => setup.Cache.DownloadAsync(model));
        string url = setup.Server.UrlOf(DownloadSetup.WeightsPath).ToString();
        AssertOneLine(error.Message, url, $"after {half:N0} of {setup.Weights.Length:N0} bytes", "run again to resume",
                      setup.Folder, "elmo_tiny_options.json", "elmo_tiny_weights.hdf5");
        Assert.Equal(half, new FileInfo(setup.CachedWeights + ".partial").Length);
        Assert.False(File.Exists(setup.CachedWeights));
        Assert.False(setup.Cache.IsComplete(model));

        await setup.Cache.DownloadAsync(model);

        var weightsRequests = setup.RequestsFor(DownloadSetup.WeightsPath);
        Assert.Equal(2, weightsRequests.Count);
        Assert.Equal($"bytes={half}-", weightsRequests[1].Range);
        Assert.Equal(206, weightsRequests[1].Status);
        Assert.Single(setup.RequestsFor(DownloadSetup.OptionsPath)); // the options file was complete: not asked again
        Assert.Equal(setup.Weights, File.ReadAllBytes(setup.CachedWeights));
        Assert.False(File.Exists(setup.CachedWeights + ".partial"));
        Assert.True(setup.Cache.IsComplete(model));
    }

    [Fact]
    public async Task A_server_that_ignores_range_restarts_the_file_from_byte_zero()
    {
        using var setup = new DownloadSetup();
        setup.Serve(ServeMode.IgnoreRange);
        var (_, model) = setup.Registry();
        // A kept partial download whose bytes are not the file's: appending the 200 body to it would corrupt the file.
        Directory.CreateDirectory(setup.Folder);
        File.WriteAllBytes(setup.CachedWeights + ".partial", Enumerable.Repeat((byte)0xAB, 1000).ToArray());

        await setup.Cache.DownloadAsync(model);

        var request = Assert.Single(setup.RequestsFor(DownloadSetup.WeightsPath));
        Assert.Equal("bytes=1000-", request.Range);
        Assert.Equal(200, request.Status);
        Assert.Equal(setup.Weights, File.ReadAllBytes(setup.CachedWeights));
    }

    [Fact]
    public async Task A_partial_as_long_as_the_file_is_completed_from_a_416_answer()
    {
        using var setup = new DownloadSetup();
        setup.Serve();
        var (_, model) = setup.Registry();
        Directory.CreateDirectory(setup.Folder);
        File.WriteAllBytes(setup.CachedWeights + ".partial", setup.Weights);

        await setup.Cache.DownloadAsync(model);

        var request = Assert.Single(setup.RequestsFor(DownloadSetup.WeightsPath));
        Assert.Equal(416, request.Status);
        Assert.Equal(setup.Weights, File.ReadAllBytes(setup.CachedWeights));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_checksum_mismatch_names_the_url_and_leaves_nothing_in_the_cache(bool onOptions)
    {
        using var setup = new DownloadSetup();
        setup.Serve();
        string wrong = DownloadSetup.Sha256([1, 2, 3]);
        var (_, model) = onOptions ? setup.Registry(optionsSha256: wrong) : setup.Registry(weightsSha256: wrong);

        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => setup.Cache.DownloadAsync(model));

        string path = onOptions ? DownloadSetup.OptionsPath : DownloadSetup.WeightsPath;
        AssertOneLine(error.Message, setup.Server.UrlOf(path).ToString(), "SHA-256 mismatch", wrong);
        if (onOptions)
        {
            Assert.False(Directory.Exists(setup.Folder), "the model folder should be gone");
        }
        else
        {
            // Only the verified options file is left; nothing of the weights.
            Assert.Equal(["elmo_tiny_options.json", "elmo_tiny_options.json.sha256"],
                         Directory.GetFiles(setup.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        }
        Assert.False(setup.Cache.IsComplete(model));
    }

    [Fact]
    public async Task The_registry_digest_is_checked_and_a_matching_download_succeeds()
    {
        using var setup = new DownloadSetup();
        setup.Serve();
        var (_, model) = setup.Registry(optionsSha256: DownloadSetup.Sha256(setup.Options).ToUpperInvariant(),
                                        weightsSha256: DownloadSetup.Sha256(setup.Weights), weightsSize: setup.Weights.Length);

        await setup.Cache.DownloadAsync(model);

        Assert.True(setup.Cache.IsComplete(model));
        Assert.Equal(setup.Weights, File.ReadAllBytes(setup.CachedWeights));
    }

    [Fact]
    public async Task A_size_that_differs_from_the_registry_is_an_error_and_nothing_is_kept()
    {
        using var setup = new DownloadSetup();
        setup.Serve();
        var (_, model) = setup.Registry(weightsSize: setup.Weights.Length + 10);

        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => setup.Cache.DownloadAsync(model));

        AssertOneLine(error.Message, setup.Server.UrlOf(DownloadSetup.WeightsPath).ToString(), $"{setup.Weights.Length:N0}", $"{setup.Weights.Length + 10:N0}");
        Assert.False(File.Exists(setup.CachedWeights + ".partial"));
        Assert.False(File.Exists(setup.CachedWeights));
    }

    [Fact]
    public async Task A_404_names_the_url_and_the_status()
    {
        using var setup = new DownloadSetup();
        setup.Server.Serve(DownloadSetup.OptionsPath, setup.Options); // the weights are not there
        var (_, model) = setup.Registry();

        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => setup.Cache.DownloadAsync(model));

        AssertOneLine(error.Message, setup.Server.UrlOf(DownloadSetup.WeightsPath).ToString(), "HTTP 404", "Not Found");
        Assert.Equal(setup.Server.UrlOf(DownloadSetup.WeightsPath), error.Url);
        Assert.False(File.Exists(setup.CachedWeights + ".partial"));
        Assert.False(File.Exists(setup.CachedWeights));
    }

    [Theory]
    [InlineData(ServeMode.Hang)]
    [InlineData(ServeMode.HangAfterBytes)]
    public async Task A_server_that_sends_nothing_for_the_timeout_gives_a_timeout_error(ServeMode mode)
    {
        using var setup = new DownloadSetup();
        setup.Serve(mode, 1000);
        var (_, model) = setup.Registry();
        // Long enough that the options file (served at once) never times out on a loaded machine (1 s did, once, with
        // four builds running); the weights then hang for the whole timeout.
        setup.Cache.Timeout = TimeSpan.FromSeconds(3);

        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => setup.Cache.DownloadAsync(model));

        AssertOneLine(error.Message, setup.Server.UrlOf(DownloadSetup.WeightsPath).ToString(), "timeout", "3 s", setup.Folder, "elmo_tiny_weights.hdf5");
        if (mode == ServeMode.HangAfterBytes)
            Assert.Equal(1000, new FileInfo(setup.CachedWeights + ".partial").Length); // kept for resuming
        else
            Assert.False(File.Exists(setup.CachedWeights + ".partial"));
    }

    [Fact]
    public async Task An_unreachable_server_gives_an_offline_error_naming_the_url_the_folder_and_the_files()
    {
        int closedPort;
        var probe = new TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        closedPort = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        using var setup = new DownloadSetup();
        var (_, model) = setup.Registry(baseUrl: $"http://127.0.0.1:{closedPort}/");

        var error = await Assert.ThrowsAsync<ModelDownloadException>(() => setup.Cache.DownloadAsync(model));

        AssertOneLine(error.Message, $"http://127.0.0.1:{closedPort}/{DownloadSetup.OptionsPath}", "cannot connect", setup.Folder,
                      "elmo_tiny_options.json", "elmo_tiny_weights.hdf5");
        Assert.False(Directory.Exists(setup.Folder));
    }

    [Fact]
    public async Task Cancellation_keeps_the_partial_file_and_the_next_call_resumes_it()
    {
        using var setup = new DownloadSetup();
        setup.Serve(ServeMode.HangAfterBytes, 100_000);
        var (_, model) = setup.Registry();
        using var cancellation = new CancellationTokenSource();

        var download = setup.Cache.DownloadAsync(model, null, cancellation.Token);
        await setup.Server.Hanging.Task.WaitAsync(TimeSpan.FromSeconds(30));
        string partial = setup.CachedWeights + ".partial";
        // The server has sent 100,000 bytes; wait (bounded) until the client has written them, then cancel.
        for (int i = 0; i < 600 && (!File.Exists(partial) || new FileInfo(partial).Length < 100_000); i++) await Task.Delay(50);
        cancellation.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => download);
        Assert.Equal(100_000, new FileInfo(partial).Length);

        setup.Serve(ServeMode.Normal);
        await setup.Cache.DownloadAsync(model);

        Assert.Equal("bytes=100000-", setup.RequestsFor(DownloadSetup.WeightsPath)[^1].Range);
        Assert.Equal(setup.Weights, File.ReadAllBytes(setup.CachedWeights));
    }

    [Fact]
    public async Task A_damaged_cached_file_is_noticed_by_its_recorded_digest_and_downloaded_again()
    {
        using var setup = new DownloadSetup();
        setup.Serve();
        var (_, model) = setup.Registry();
        await setup.Cache.DownloadAsync(model);
        Assert.True(setup.Cache.IsComplete(model));

        var damaged = setup.Weights.ToArray();
        damaged[damaged.Length / 2] ^= 0xFF; // same length, one byte changed
        File.WriteAllBytes(setup.CachedWeights, damaged);
        File.SetLastWriteTimeUtc(setup.CachedWeights, DateTime.UtcNow.AddMinutes(1));

        Assert.False(setup.Cache.IsComplete(model));
        await setup.Cache.DownloadAsync(model);

        Assert.Equal(2, setup.RequestsFor(DownloadSetup.WeightsPath).Count);
        Assert.Single(setup.RequestsFor(DownloadSetup.OptionsPath));
        Assert.Equal(setup.Weights, File.ReadAllBytes(setup.CachedWeights));
        Assert.True(setup.Cache.IsComplete(model));
    }

    [Fact]
    public async Task Files_put_in_the_folder_by_hand_count_as_complete_and_get_their_digest_recorded()
    {
        using var setup = new DownloadSetup();
        var (_, model) = setup.Registry(baseUrl: "http://127.0.0.1:9/"); // never asked: nothing listens there
        Directory.CreateDirectory(setup.Folder);
        File.WriteAllBytes(setup.CachedOptions, setup.Options);
        File.WriteAllBytes(setup.CachedWeights, setup.Weights);

        Assert.True(setup.Cache.IsComplete(model));
        await setup.Cache.DownloadAsync(model);
        Assert.Empty(setup.Server.Requests);
        Assert.StartsWith(DownloadSetup.Sha256(setup.Weights) + "  ", File.ReadAllText(setup.CachedWeights + ".sha256"));
        Assert.True(setup.Cache.IsComplete(model));
    }

    internal static void AssertOneLine(string message, params string[] words)
    {
        Assert.DoesNotContain('\n', message);
        foreach (string word in words) Assert.Contains(word, message);
    }
}
