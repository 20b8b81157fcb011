using System.Security.Cryptography;
using ElmoNative.Hub;
using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests.Hub;

/// <summary>
/// A local server serving the tiny AllenNLP fixture checkpoint (options.json, lm_weights.hdf5) as a published model
/// "tiny", a user registry file pointing at it, and an empty cache root, all in a temporary directory.
/// </summary>
public sealed class DownloadSetup : IDisposable
{
    public const string Name = "tiny";
    public const string OptionsPath = "models/tiny/elmo_tiny_options.json";
    public const string WeightsPath = "models/tiny/elmo_tiny_weights.hdf5";

    public DownloadSetup()
    {
        Cache = new ModelCache(Path.Combine(Dir.Path, "cache"));
    }

    public LocalHttpServer Server { get; } = new();

    public TempDirectory Dir { get; } = new();

    public byte[] Options { get; } = File.ReadAllBytes(Fixtures.AllenNlp("options.json"));

    public byte[] Weights { get; } = File.ReadAllBytes(Fixtures.AllenNlp("lm_weights.hdf5"));

    public ModelCache Cache { get; }

    public string RegistryPath => Dir.File("registry.json");

    public string Folder => Path.Combine(Cache.Root, Name);

    public string CachedOptions => Path.Combine(Folder, "elmo_tiny_options.json");

    public string CachedWeights => Path.Combine(Folder, "elmo_tiny_weights.hdf5");

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Serves both files; the weights in <paramref name="weightsMode"/>.</summary>
    public void Serve(ServeMode weightsMode = ServeMode.Normal, int bytes = 0)
    {
        Server.Serve(OptionsPath, Options);
        Server.Serve(WeightsPath, Weights, weightsMode, bytes);
    }

    /// <summary>Writes the user registry (entry "tiny" pointing at the server, or at <paramref name="baseUrl"/>) and loads it.</summary>
    public (ModelRegistry Registry, PublishedModel Model) Registry(string? optionsSha256 = null, string? weightsSha256 = null,
                                                                  long? weightsSize = null, string? baseUrl = null)
    {
        string root = baseUrl ?? $"http://127.0.0.1:{Server.Port}/";
        static string Json(object? value) => value switch
        {
            null => "null",
            string s => $"\"{s}\"",
            _ => value.ToString()!,
        };
        File.WriteAllText(RegistryPath, $$"""
            // a user registry: the tiny fixture model served by the test's own server
            {
              "models": [
                {
                  "name": "{{Name}}",
                  "aliases": ["elmo_tiny"],
                  "description": "AllenNLP's 2-layer test biLM",
                  "options": { "url": "{{root}}{{OptionsPath}}", "size": null, "sha256": {{Json(optionsSha256)}} },
                  "weights": { "url": "{{root}}{{WeightsPath}}", "size": {{Json(weightsSize)}}, "sha256": {{Json(weightsSha256)}} },
                },
              ]
            }
            """);
        var registry = ModelRegistry.Load(RegistryPath);
        Assert.True(registry.TryFind(Name, out var model));
        return (registry, model);
    }

    /// <summary>Requests the server saw for a path (without the leading slash).</summary>
    public IReadOnlyList<ServedRequest> RequestsFor(string path) => Server.Requests.Where(r => r.Path == "/" + path).ToList();

    public void Dispose()
    {
        Server.Dispose();
        Dir.Dispose();
    }
}

/// <summary>An IProgress that records every report on the reporting thread (Progress&lt;T&gt; posts asynchronously).</summary>
public sealed class RecordingProgress(Action<DownloadProgress>? onReport = null) : IProgress<DownloadProgress>
{
    private readonly List<DownloadProgress> reports = [];

    public IReadOnlyList<DownloadProgress> Reports
    {
        get
        {
            lock (reports) return reports.ToList();
        }
    }

    public void Report(DownloadProgress value)
    {
        lock (reports) reports.Add(value);
        onReport?.Invoke(value);
    }
}
