using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ElmoNative;
using ElmoNative.Output;
using ElmoNative.Server;

// elmo serve under load (bench/README.md, "Server"): the server runs in this process on a loopback port; for each
// client count and request size, that many clients send /v1/embeddings requests back to back for --seconds, and the
// throughput and latency percentiles are reported beside the offline rate of the same model on the same sentences
// (EmbeddingFile.Write, what `elmo embed` runs) measured in the same run.
var c = CultureInfo.InvariantCulture;
string? Arg(string name) => Array.IndexOf(args, name) is int i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
string input = Arg("--input") ?? "data/brown/brown.txt";
int seconds = int.Parse(Arg("--seconds") ?? "10", c);
int[] clientCounts = (Arg("--clients") ?? "1,4,16,64").Split(',').Select(s => int.Parse(s, c)).ToArray();
int[] sizes = (Arg("--inputs-per-request") ?? "1,32").Split(',').Select(s => int.Parse(s, c)).ToArray();
int maxSentences = int.Parse(Arg("--sentences") ?? "2000", c);
string? output = Arg("--output");

var sentences = File.ReadLines(input).Where(l => l.Trim().Length > 0).Take(maxSentences).ToArray();
using var model = Arg("--model") is { } m ? (Directory.Exists(m) ? ElmoModel.LoadDirectory(m) : await ElmoModel.LoadPublishedAsync(m)) : ElmoModel.LoadDefault();
var report = new StringBuilder();
void Line(string text)
{
    Console.WriteLine(text);
    report.AppendLine(text);
}

Line($"# elmo serve load, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Line("");
Line($"model: {Arg("--model") ?? "default"} ({model.LayerCount} layers of {model.Dim}); {sentences.Length} sentences of {input}; {Environment.ProcessorCount} cores; load average before: {LoadAverage()}");
Line("");

// Offline: the embed file path (stateless, batch 64, regrouped by length), to a temporary HDF5 file; best of two.
double offline = 0;
string temp = Path.Combine(Path.GetTempPath(), $"elmo-serve-load-{Environment.ProcessId}.hdf5");
for (int run = 0; run < 2; run++)
{
    var clock = Stopwatch.StartNew();
    var done = EmbeddingFile.Write(model, new StringReader(string.Join('\n', sentences) + "\n"), temp, new EmbeddingFileOptions { Pooling = Pooling.Mean });
    offline = Math.Max(offline, done.Tokens / clock.Elapsed.TotalSeconds);
    File.Delete(temp);
}
Line(string.Create(c, $"offline (elmo embed's path, whitespace tokens, pooled): {offline:F0} tokens/s"));
Line("");
Line("| clients | inputs/request | requests/s | tokens/s | vs offline | p50 ms | p99 ms | non-200 |");
Line("|---:|---:|---:|---:|---:|---:|---:|---:|");

await using var server = await ElmoServer.StartAsync(model, new ElmoServerOptions { Urls = "http://127.0.0.1:0", ModelId = "default", MaxQueuedRequests = 4096 });
using var http = new HttpClient { BaseAddress = new Uri(server.Urls[0].TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(5) };
foreach (int size in sizes)
{
    foreach (int clients in clientCounts)
    {
        long next = 0, tokens = 0, failures = 0;
        var latencies = new List<double>[clients];
        var stop = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, clients).Select(async w =>
        {
            latencies[w] = [];
            while (stop.Elapsed.TotalSeconds < seconds)
            {
                var batch = new string[size];
                for (int i = 0; i < size; i++) batch[i] = sentences[(int)(Interlocked.Increment(ref next) % sentences.Length)];
                var clock = Stopwatch.StartNew();
                using var response = await http.PostAsync("v1/embeddings", new StringContent(JsonSerializer.Serialize(new { input = batch, encoding_format = "base64" }), Encoding.UTF8, "application/json"));
                string body = await response.Content.ReadAsStringAsync();
                latencies[w].Add(clock.Elapsed.TotalMilliseconds);
                if (!response.IsSuccessStatusCode)
                {
                    Interlocked.Increment(ref failures);
                    continue;
                }
                using var json = JsonDocument.Parse(body);
                Interlocked.Add(ref tokens, json.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt64());
            }
        }).ToArray();
        await Task.WhenAll(workers);
        double elapsed = stop.Elapsed.TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        double Percentile(double p) => all.Length == 0 ? double.NaN : all[Math.Min(all.Length - 1, (int)Math.Ceiling(p * all.Length) - 1)];
        Line(string.Create(c, $"| {clients} | {size} | {all.Length / elapsed:F1} | {tokens / elapsed:F0} | {tokens / elapsed / offline:P0} | {Percentile(0.5):F1} | {Percentile(0.99):F1} | {failures} |"));
    }
}
Line("");
Line($"load average after: {LoadAverage()}; token cache hit rate {model.TokenCacheStatistics.HitRate:P1}");
if (output is not null)
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
    File.WriteAllText(output, report.ToString());
}

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
