using System.CommandLine;
using System.CommandLine.Help;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ElmoNative;
using ElmoNative.Bench;
using ElmoNative.Output;
using ElmoNative.Server;
using static ElmoNative.Bench.CommandLineOptions;

// elmo serve under load (bench/README.md, "Server"): the server runs in this process on a loopback port; for each
// client count and request size, that many clients send /v1/embeddings requests back to back for --seconds, and the
// throughput and latency percentiles are reported beside the offline rate of the same model on the same sentences
// (EmbeddingFile.Write, what `elmo embed` runs) measured in the same run.
// The options are parsed by System.CommandLine: --help describes them, and a bad option or value is one line on stderr
// and exit code 2.
var input = new Option<string>("--input")
{
    HelpName = "FILE",
    Description = "the text: one sentence per line, tokens separated by spaces (tools/fetch-brown.sh writes the default)",
    DefaultValueFactory = _ => "data/brown/brown.txt",
};
input.Validators.Add(r =>
{
    if (r.GetValueOrDefault<string>() is { } path && !File.Exists(path)) r.AddError($"--input: {path} not found");
});
var seconds = Int("--seconds", 10, 1, "how long each row's clients send requests (the one-client latency runs twice as long)", "S");
// The lists' defaults are in their descriptions, with commas (the help would show a default value as 1|4|16|64).
int[] defaultClientCounts = [1, 4, 16, 64], defaultSizes = [1, 32];
var clientCounts = IntList("--clients", "N,N,...", $"the client counts of the table's rows, each run for every --inputs-per-request (default: {string.Join(',', defaultClientCounts)})");
var sizes = IntList("--inputs-per-request", "N,N,...", $"the sentences in each request, one group of rows for each (default: {string.Join(',', defaultSizes)})");
var sentences = Int("--sentences", 2000, 1, "the first N non-empty lines of the input are sent");
var output = new Option<string>("--output") { HelpName = "FILE", Description = "also write the report to FILE (replaced whole at the end)" };
var delayMs = Int("--max-batch-delay-ms", ElmoServerOptions.DefaultMaxBatchDelayMilliseconds, 0,
    "the server's --max-batch-delay-ms: how long it waits for more requests once one is queued");
var model = new Option<string>("--model")
{
    HelpName = "DIR|NAME",
    Description = "the model: a model directory or a published model's name (default: the model shipped with ElmoNative)",
};
var soakMinutes = Int("--soak-minutes", 0, 0,
    "if above 0, a soak instead of the table: one-sentence requests at twice the measured capacity, open loop, for N minutes");
var elmo = new Option<string>("--elmo")
{
    HelpName = "PATH",
    Description = "run the real `elmo serve` in a child process (PATH: elmo.dll or the installed elmo), not a server in this process",
};
var command = new RootCommand(
    "elmo serve under load (bench/README.md, \"Server\"): throughput and latency percentiles of /v1/embeddings at several "
    + "client counts and request sizes, beside the offline rate of the same model on the same sentences (what `elmo embed` runs).")
{
    input, seconds, clientCounts, sizes, sentences, output, delayMs, model, soakMinutes, elmo,
};
// The benchmark has no version of its own to print.
command.Options.Remove(command.Options.OfType<VersionOption>().Single());
// The help is wrapped at 120 columns when it does not go to a terminal (at the terminal's width when it does).
if (Console.IsOutputRedirected) ((HelpAction)command.Options.OfType<HelpOption>().Single().Action!).MaxWidth = 120;
// A list option not given reads as an empty array (not null), so an empty list means the default.
command.SetAction(parsed => Run(parsed.GetRequiredValue(input), parsed.GetValue(seconds),
    parsed.GetValue(clientCounts) is { Length: > 0 } counts ? counts : defaultClientCounts,
    parsed.GetValue(sizes) is { Length: > 0 } given ? given : defaultSizes, parsed.GetValue(sentences), parsed.GetValue(output), parsed.GetValue(delayMs), parsed.GetValue(model),
    parsed.GetValue(soakMinutes), parsed.GetValue(elmo)));
var result = command.Parse(args);
if (result.Action is not HelpAction && result.Errors.Count > 0)
{
    Console.Error.WriteLine($"{command.Name}: {CommandLineOptions.Problem(result)}");
    return 2;
}
// Exceptions are not caught (a stack trace, as before), and Ctrl+C keeps ending the process at once.
return await result.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });

// The measurement, with the options' values.
static async Task<int> Run(string input, int seconds, int[] clientCounts, int[] sizes, int maxSentences, string? output, int delayMs,
    string? modelName, int soakMinutes, string? elmo)
{
    var c = CultureInfo.InvariantCulture;
    var sentences = File.ReadLines(input).Where(l => l.Trim().Length > 0).Take(maxSentences).ToArray();
    using var model = modelName is { } m ? (Directory.Exists(m) ? ElmoModel.LoadDirectory(m) : await ElmoModel.LoadPublishedAsync(m)) : ElmoModel.LoadDefault();
    var report = new StringBuilder();
    void Line(string text)
    {
        Console.WriteLine(text);
        report.AppendLine(text);
    }

    Line($"# elmo serve load, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    Line("");
    Line($"model: {modelName ?? "default"} ({model.LayerCount} layers of {model.Dim}); {sentences.Length} sentences of {input}; {Environment.ProcessorCount} cores; --max-batch-delay-ms {delayMs}; {seconds} s per row; load average before: {LoadAverage()}");
    Line("");

    // Offline: the embed file path (stateless, batch 64, regrouped by length), to a temporary HDF5 file; measured
    // before and after the server rows, since the machine may be shared.
    double Offline()
    {
        string temp = Path.Combine(Path.GetTempPath(), $"elmo-serve-load-{Environment.ProcessId}.hdf5");
        var clock = Stopwatch.StartNew();
        var done = EmbeddingFile.Write(model, new StringReader(string.Join('\n', sentences) + "\n"), temp, new EmbeddingFileOptions { Pooling = Pooling.Mean });
        double rate = done.Tokens / clock.Elapsed.TotalSeconds;
        File.Delete(temp);
        return rate;
    }
    Offline(); // warm-up: JIT, token cache
    double offline = Offline();
    Line(string.Create(c, $"offline before (elmo embed's path on the same sentences, whitespace tokens, pooled): {offline:F0} tokens/s"));

    // The one-client latency (below, after the server starts) is measured beside the library's batch-1 latency on the
    // same 20-token sentence (ElmoModel.Embed), alternating one library call and one request, so that whatever else
    // runs on the machine in those seconds weighs on both figures alike.
    // Words of letters only, which the server's Penn Treebank tokenizer leaves as they are (a token like "Atlanta's"
    // would become two), so that the server embeds exactly the library's 20 tokens (checked below with
    // usage.total_tokens).
    string[] twenty = [.. sentences.SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Where(t => t.All(char.IsLetter)).Take(20)];
    Line("");
    // The server: in this process (the default), or, with --elmo PATH (elmo.dll or the installed `elmo`), the real
    // `elmo serve` in a child process of its own, so that its resident memory is its own (read from /proc/PID/status).
    int maxQueued = soakMinutes > 0 ? ElmoServerOptions.DefaultMaxQueuedRequests : 4096;
    await using var server = elmo is null ? await ElmoServer.StartAsync(model, new ElmoServerOptions
    {
        Urls = "http://127.0.0.1:0",
        ModelId = "default",
        MaxQueuedRequests = maxQueued,
        MaxBatchDelay = TimeSpan.FromMilliseconds(delayMs),
    }) : null;
    using var child = elmo is null ? null : await ServeProcess.StartAsync(elmo, modelName, delayMs, maxQueued);
    string baseUrl = server?.Urls[0] ?? child!.Url;
    Line(elmo is null ? "server: in this process (its memory and the load generator's are one)" : $"server: `elmo serve` in a child process (pid {child!.Id})");
    Line("");
    using var http = new HttpClient { BaseAddress = new Uri(baseUrl.TrimEnd('/') + "/"), Timeout = TimeSpan.FromMinutes(5) };
    long ServerRss() => child is null ? Environment.WorkingSet : child.ResidentBytes();
    if (soakMinutes > 0)
    {
        await Soak(soakMinutes);
        return 0;
    }
    {
        // One client, the same 20-token sentence (as a string) again and again, each request after one library call.
        string text = string.Join(' ', twenty);
        var times = new List<double>();
        var libraryTimes = new List<double>();
        List<double> queueTimes = [], engineTimes = [];
        var stop = Stopwatch.StartNew();
        while (stop.Elapsed.TotalSeconds < 2 * seconds)
        {
            bool warm = stop.Elapsed.TotalSeconds > 1; // the first second warms up
            var clock = Stopwatch.StartNew();
            model.Embed(twenty);
            if (warm) libraryTimes.Add(clock.Elapsed.TotalMilliseconds);
            clock.Restart();
            using var response = await http.PostAsync("v1/embeddings", new StringContent(JsonSerializer.Serialize(new { input = text, encoding_format = "base64" }), Encoding.UTF8, "application/json"));
            string answer = await response.Content.ReadAsStringAsync();
            if (warm)
            {
                using (var json = JsonDocument.Parse(answer))
                    if (json.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32() != twenty.Length)
                        throw new InvalidOperationException($"the server embedded other tokens, not the library's {twenty.Length}");
                times.Add(clock.Elapsed.TotalMilliseconds);
                // Server-Timing: "queue;dur=Q, engine;dur=E" (docs/serve.md).
                var timing = response.Headers.TryGetValues("Server-Timing", out var v) ? v.First().Split(", ").Select(e => double.Parse(e.Split(";dur=")[1], c)).ToArray() : [double.NaN, double.NaN];
                queueTimes.Add(timing[0]);
                engineTimes.Add(timing[1]);
            }
        }
        queueTimes.Sort();
        engineTimes.Sort();
        times.Sort();
        libraryTimes.Sort();
        Line(string.Create(c, $"one 20-token sentence, library call and server request alternating ({times.Count} of each):"));
        Line(string.Create(c, $"- library batch-1 latency (ElmoModel.Embed): p50 {Percentile(libraryTimes, 0.5):F2} ms, p99 {Percentile(libraryTimes, 0.99):F2} ms"));
        Line(string.Create(c, $"- server, one client (POST /v1/embeddings): p50 {Percentile(times, 0.5):F2} ms, p99 {Percentile(times, 0.99):F2} ms"));
        Line(string.Create(c, $"- of which, by the server's Server-Timing: queue p50 {Percentile(queueTimes, 0.5):F2} ms, p99 {Percentile(queueTimes, 0.99):F2} ms; engine p50 {Percentile(engineTimes, 0.5):F2} ms, p99 {Percentile(engineTimes, 0.99):F2} ms"));
        Line("");
    }
    Line("| clients | inputs/request | requests/s | tokens/s | vs offline | p50 ms | p99 ms | non-200 | engine batches | sentences/batch | engine busy |");
    Line("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    foreach (int size in sizes)
    {
        foreach (int clients in clientCounts)
        {
            long next = 0, tokens = 0, failures = 0;
            var before = await BatchMetrics();
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
                    using var response = await http.PostAsync("v1/embeddings", Body(batch));
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
            var after = await BatchMetrics();
            double batches = after.Count - before.Count;
            var all = latencies.SelectMany(l => l).Order().ToArray();
            Line(string.Create(c, $"| {clients} | {size} | {all.Length / elapsed:F1} | {tokens / elapsed:F0} | {tokens / elapsed / offline:P0} | {Percentile(all, 0.5):F1} | {Percentile(all, 0.99):F1} | {failures} | {batches:F0} | {(after.Sentences - before.Sentences) / Math.Max(1, batches):F1} | {(after.Seconds - before.Seconds) / elapsed:P0} |"));
        }
    }
    Line("");
    Line(string.Create(c, $"offline after: {Offline():F0} tokens/s ('vs offline' uses the figure before)"));
    Line($"load average after: {LoadAverage()}; token cache hit rate {model.TokenCacheStatistics.HitRate:P1}");
    if (output is not null)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(output))!);
        File.WriteAllText(output, report.ToString());
    }
    return 0;

    // --soak-minutes N: the capacity (requests/s of 64 closed-loop clients sending one sentence) is measured for 10 s,
    // then requests of one sentence are sent at twice that rate, open loop (not waiting for answers), for N minutes,
    // against the default queue bound (--max-queued-requests 512): every status is counted, and the server's RSS (with
    // --elmo, the child's own; otherwise this process's, server and load generator together) is read after one minute
    // and at the end.
    async Task Soak(int minutes)
    {
        long served = 0;
        var capacityClock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(async w =>
        {
            while (capacityClock.Elapsed.TotalSeconds < 10)
            {
                using var r = await http.PostAsync("v1/embeddings", Body([sentences[(int)(Interlocked.Increment(ref served) % sentences.Length)]]));
                await r.Content.ReadAsByteArrayAsync();
            }
        }));
        double capacity = served / capacityClock.Elapsed.TotalSeconds, rate = 2 * capacity;
        Line(string.Create(c, $"soak: capacity {capacity:F0} requests/s (64 clients x 1 sentence); sending {rate:F0} requests/s open loop for {minutes} min"));
        var statuses = new System.Collections.Concurrent.ConcurrentDictionary<string, long>();
        long sent = 0, rssAfterOne = 0, peakRss = 0;
        var minuteSamples = new List<long>(); // the peak RSS by the end of each minute
        var clock = Stopwatch.StartNew();
        var pending = new List<Task>();
        using var outstanding = new SemaphoreSlim(4096);
        while (clock.Elapsed.TotalMinutes < minutes)
        {
            long due = (long)(clock.Elapsed.TotalSeconds * rate);
            for (; sent < due; sent++)
            {
                await outstanding.WaitAsync();
                string text = sentences[(int)(sent % sentences.Length)];
                pending.Add(Task.Run(async () =>
                {
                    try
                    {
                        using var r = await http.PostAsync("v1/embeddings", Body([text]));
                        await r.Content.ReadAsByteArrayAsync();
                        statuses.AddOrUpdate(((int)r.StatusCode).ToString(c), 1, (_, n) => n + 1);
                    }
                    catch (Exception e)
                    {
                        statuses.AddOrUpdate(e.GetType().Name, 1, (_, n) => n + 1);
                    }
                    finally
                    {
                        outstanding.Release();
                    }
                }));
            }
            pending.RemoveAll(t => t.IsCompleted);
            long rss = ServerRss();
            peakRss = Math.Max(peakRss, rss);
            if (rssAfterOne == 0 && clock.Elapsed.TotalMinutes >= 1) rssAfterOne = peakRss;
            if (clock.Elapsed.TotalMinutes >= minuteSamples.Count + 1) minuteSamples.Add(peakRss);
            await Task.Delay(5);
        }
        await Task.WhenAll(pending);
        Line(string.Create(c, $"soak: {sent} requests sent; answers: {string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key} x {kv.Value}"))}"));
        Line(string.Create(c, $"soak: peak RSS by the end of each minute, MiB: {string.Join(", ", minuteSamples.Select(b => (b / 1048576.0).ToString("F0", c)))}"));
        Line(string.Create(c, $"soak: peak RSS {rssAfterOne / 1048576.0:F0} MiB after 1 min, {peakRss / 1048576.0:F0} MiB after {minutes} min ({(peakRss - rssAfterOne) * 100.0 / Math.Max(1, rssAfterOne):F1}% more)"));
        if (output is not null) File.WriteAllText(output, report.ToString());
    }

    // The server's own batch histograms (GET /metrics): engine batches so far, their sentences and their engine
    // seconds, so that a row shows how requests were coalesced and how much of the row's time the engine was busy.
    async Task<(double Count, double Sentences, double Seconds)> BatchMetrics()
    {
        string text = await http.GetStringAsync("metrics");
        double Value(string name) => text.Split('\n').Where(l => l.StartsWith(name + " ", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(name.Length + 1)..], c)).FirstOrDefault();
        return (Value("elmo_batch_sentences_count"), Value("elmo_batch_sentences_sum"), Value("elmo_batch_duration_seconds_sum"));
    }

    StringContent Body(string[] batch) =>
        new(JsonSerializer.Serialize(new { input = batch, encoding_format = "base64" }), Encoding.UTF8, "application/json");
}

// The p-quantile of sorted values (the smallest value at or above a fraction p of them); NaN for none.
static double Percentile(IReadOnlyList<double> sorted, double p) =>
    sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";
