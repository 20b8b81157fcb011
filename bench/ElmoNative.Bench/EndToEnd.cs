using System.Diagnostics;
using System.Globalization;
using ElmoNative.Checkpoints;
using ElmoNative.Kernels;

namespace ElmoNative.Bench;

/// <summary>
/// End-to-end throughput on real text (not a BenchmarkDotNet benchmark: one long, honest run).
/// Writes a random checkpoint of a preset to a cache folder (once), then measures: load time from disk, tokens per second
/// of stateless embedding in batches over the first N sentences of a file, batch-1 latency of a 20-token sentence,
/// and the process's peak resident memory.
/// Usage: e2e [--preset small|medium|original] [--input data/brown/brown.txt] [--sentences 2000] [--batch-size 32] [--threads N] [--trace-memory]
/// </summary>
public static class EndToEnd
{
    public static int Run(string[] args)
    {
        string preset = "original", input = Path.Combine(FindRoot(), "data", "brown", "brown.txt");
        int sentencesWanted = 2000, batchSize = 32, threads = Environment.ProcessorCount;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--preset": preset = Next(); break;
                case "--input": input = Next(); break;
                case "--sentences": sentencesWanted = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--batch-size": batchSize = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--threads": threads = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--trace-memory": traceMemory = true; break;
                default: Console.Error.WriteLine($"e2e: unknown option {args[i]}"); return 2;
            }
        }
        if (!RandomCheckpoint.TryParsePreset(preset, out var modelPreset)) { Console.Error.WriteLine($"e2e: unknown preset {preset}"); return 2; }
        if (!File.Exists(input)) { Console.Error.WriteLine($"e2e: {input} not found (run tools/fetch-brown.sh first)"); return 1; }
        KernelSettings.MaxThreads = threads;

        string dir = Path.Combine(Path.GetTempPath(), "elmonative-bench", $"{modelPreset.ToString().ToLowerInvariant()}-seed1");
        if (!File.Exists(Path.Combine(dir, ModelFiles.WeightsFileName)))
        {
            Console.Error.WriteLine($"writing random {modelPreset} checkpoint to {dir} ...");
            RandomCheckpoint.Create(modelPreset, 1).SaveDirectory(dir);
        }
        long weightBytes = new FileInfo(Path.Combine(dir, ModelFiles.WeightsFileName)).Length;

        var sentences = File.ReadLines(input).Take(sentencesWanted)
            .Select(l => (IReadOnlyList<string>)l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        long tokens = sentences.Sum(s => (long)s.Count);

        var load = Stopwatch.StartNew();
        using var model = ElmoModel.LoadDirectory(dir);
        load.Stop();
        Trace("after load");
        long peakAfterLoad, rssAfterLoad;
        using (var afterLoad = Process.GetCurrentProcess()) (peakAfterLoad, rssAfterLoad) = (afterLoad.PeakWorkingSet64, afterLoad.WorkingSet64);

        // Warm-up: one batch (JIT, workspace growth), not timed, into the output the run reuses.
        var output = new ElmoBatchOutput(); // reused: the API that lets steady-state embedding allocate nothing
        model.Embed(sentences.Take(batchSize).ToList(), output);
        Trace("after warm-up");
        var cacheAtStart = model.TokenCacheStatistics;

        // The batches are cut before timing so that the loop measures the model alone (and its allocations).
        var batches = new List<List<IReadOnlyList<string>>>();
        for (int start = 0; start < sentences.Count; start += batchSize)
            batches.Add(sentences.GetRange(start, Math.Min(batchSize, sentences.Count - start)));
        using var self = Process.GetCurrentProcess();
        TimeSpan cpuBefore = self.TotalProcessorTime;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var run = Stopwatch.StartNew();
        int traced = 0;
        foreach (var batch in batches) { model.Embed(batch, output); if (++traced % 8 == 0) Trace($"batch {traced}"); }
        run.Stop();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        self.Refresh();
        double cpuSeconds = (self.TotalProcessorTime - cpuBefore).TotalSeconds;

        // Steady state: the first batches again, twice; the second pass is measured (buffers grown, tokens cached, pool threads warm).
        int again = Math.Min(8, batches.Count);
        for (int b = 0; b < again; b++) model.Embed(batches[b], output);
        long steadyBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (int b = 0; b < again; b++) model.Embed(batches[b], output);
        long steady = GC.GetTotalAllocatedBytes(precise: true) - steadyBefore;
        var cacheAtEnd = model.TokenCacheStatistics;
        long runHits = cacheAtEnd.Hits - cacheAtStart.Hits, runLookups = runHits + cacheAtEnd.Misses - cacheAtStart.Misses;
        self.Refresh();

        var twenty = Enumerable.Range(0, 20).Select(i => sentences.SelectMany(s => s).ElementAt(i)).ToArray();
        model.Embed(twenty);
        var latency = Stopwatch.StartNew();
        const int latencyRuns = 5;
        for (int r = 0; r < latencyRuns; r++) model.Embed(twenty);
        latency.Stop();

        Trace("end");
        self.Refresh();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""
            preset              {modelPreset} ({model.ParameterCount / 1e6:F1} M parameters, weights file {weightBytes / 1e6:F0} MB)
            input               {sentences.Count} sentences, {tokens} tokens of {Path.GetFileName(input)}
            threads             {threads}, batch size {batchSize}, stateless
            load time           {load.Elapsed.TotalSeconds:F2} s
            embed time          {run.Elapsed.TotalSeconds:F2} s
            throughput          {tokens / run.Elapsed.TotalSeconds:F0} tokens/s
            CPU time            {cpuSeconds:F2} s ({tokens / cpuSeconds:F0} tokens per CPU-second; machine load shows as a gap to {threads} x wall time)
            allocations         {allocated / (double)batches.Count / 1024:F1} KB per batch over the run (all threads; buffers growing, cache filling); {steady / (double)again:F0} bytes per batch in steady state ({again} batches again)
            token cache         {runHits / (double)Math.Max(1, runLookups):P1} hits in the timed run ({runHits} of {runLookups} lookups, one per distinct token of a batch; {cacheAtEnd.Count} cached, capacity {cacheAtEnd.Capacity})
            batch-1 latency     {latency.Elapsed.TotalMilliseconds / latencyRuns:F1} ms (20-token sentence, mean of {latencyRuns})
            peak memory (RSS)   {self.PeakWorkingSet64 / 1e6:F0} MB ({peakAfterLoad / 1e6:F0} MB by the end of the load, {rssAfterLoad / 1e6:F0} MB resident after it; managed heap now {GC.GetGCMemoryInfo().HeapSizeBytes / 1e6:F0} MB)
            """));
        return 0;
    }

    private static bool traceMemory;

    /// <summary>With --trace-memory: resident set, and the managed heap by generation as of the last collection, on stderr.</summary>
    private static void Trace(string label)
    {
        if (!traceMemory) return;
        using var p = Process.GetCurrentProcess();
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        var g = info.GenerationInfo;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{label}] rss {p.WorkingSet64 / 1e6:F0} peak {p.PeakWorkingSet64 / 1e6:F0} heap {info.HeapSizeBytes / 1e6:F0} committed {info.TotalCommittedBytes / 1e6:F0} frag {info.FragmentedBytes / 1e6:F0} gen0 {g[0].SizeAfterBytes / 1e6:F0} gen1 {g[1].SizeAfterBytes / 1e6:F0} gen2 {g[2].SizeAfterBytes / 1e6:F0} loh {g[3].SizeAfterBytes / 1e6:F0} poh {g[4].SizeAfterBytes / 1e6:F0} gcs {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} alloc {GC.GetTotalAllocatedBytes() / 1e6:F0}"));
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ElmoNative.sln"))) dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}
