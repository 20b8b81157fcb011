using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using ElmoNative.Server;

namespace ElmoNative.Server.Tests;

/// <summary>The shipped default model, loaded once for the tests of the "model" collection.</summary>
public sealed class DefaultModel : IDisposable
{
    public ElmoModel Model { get; } = ElmoModel.LoadDefault();

    public void Dispose() => Model.Dispose();
}

[CollectionDefinition("model")]
public sealed class ModelCollection : ICollectionFixture<DefaultModel>;

/// <summary>A real server (Kestrel) on a free 127.0.0.1 port, stopped on dispose, and an HTTP client for it.</summary>
public sealed class RunningServer : IAsyncDisposable
{
    private RunningServer(ElmoServer server, ElmoServerOptions options)
    {
        Server = server;
        Options = options;
        BaseUrl = server.Urls.Single().TrimEnd('/');
        Http = new HttpClient { BaseAddress = new Uri(BaseUrl + "/"), Timeout = TimeSpan.FromMinutes(2) };
    }

    public ElmoServer Server { get; }

    public ElmoServerOptions Options { get; }

    /// <summary>http://127.0.0.1:PORT</summary>
    public string BaseUrl { get; }

    public HttpClient Http { get; }

    public static async Task<RunningServer> StartAsync(ElmoModel model, Action<ElmoServerOptions>? configure = null)
    {
        var options = new ElmoServerOptions { Urls = "http://127.0.0.1:0", ModelId = "default" };
        configure?.Invoke(options);
        var server = await ElmoServer.StartAsync(model, options);
        return new RunningServer(server, options);
    }

    /// <summary>POSTs <paramref name="json"/> (sent as application/json).</summary>
    public Task<HttpResponseMessage> PostAsync(string path, string json, CancellationToken cancellation = default) =>
        Http.PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"), cancellation);

    /// <summary>The value of a metric line (<c>name{labels} value</c>) of /metrics, or null when absent.</summary>
    public async Task<double?> MetricAsync(string nameWithLabels)
    {
        string text = await Http.GetStringAsync("metrics");
        foreach (string line in text.Split('\n'))
            if (line.StartsWith(nameWithLabels + " ", StringComparison.Ordinal))
                return double.Parse(line[(nameWithLabels.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
    }
}

/// <summary>Sentences of several lengths from the repository's examples and fixtures, and float comparisons bit for bit.</summary>
public static class TestText
{
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Raw sentences: examples/sentences.txt, the AllenNLP fixture's 30, bilm-train's long lines.</summary>
    public static IReadOnlyList<string> Sentences { get; } = Load();

    private static List<string> Load()
    {
        var result = new List<string>();
        result.AddRange(File.ReadAllLines(Path.Combine(RepositoryRoot, "examples", "sentences.txt")).Where(l => l.Trim().Length > 0));
        var lists = JsonSerializer.Deserialize<string[][]>(File.ReadAllText(Path.Combine(RepositoryRoot, "tests", "fixtures", "allennlp-elmo", "sentences.json")))!;
        result.AddRange(lists.SelectMany(l => l));
        result.AddRange(File.ReadAllLines(Path.Combine(RepositoryRoot, "tests", "fixtures", "bilm-train", "data.txt")).Where(l => l.Trim().Length > 0));
        result.Add("Hi!");
        result.Add("Don't stop: it's Mr. Smith's U.S.A. trip (1999), isn't it?");
        return result;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ElmoNative.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("ElmoNative.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Asserts that two vectors are equal bit for bit.</summary>
    public static void AssertBitIdentical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, {expected.Length} expected");
        var e = MemoryMarshal.Cast<float, int>(expected);
        var a = MemoryMarshal.Cast<float, int>(actual);
        for (int i = 0; i < e.Length; i++)
            Assert.True(e[i] == a[i], $"{what}: value {i} is {actual[i]:R}, {expected[i]:R} expected (not bit-identical)");
    }

    /// <summary>Little-endian float32 bytes as floats.</summary>
    public static float[] Floats(ReadOnlySpan<byte> bytes)
    {
        var result = new float[bytes.Length / 4];
        for (int i = 0; i < result.Length; i++) result[i] = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
        return result;
    }

    /// <summary>The JSON body of an answer, with its status checked.</summary>
    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response, int status = 200)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"status {(int)response.StatusCode}, {status} expected: {body}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    public static MediaTypeWithQualityHeaderValue Binary { get; } = new("application/octet-stream");
}
