using System.CommandLine;
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
/// The timed run is, by default, what <c>elmo embed</c> runs: <see cref="ElmoNative.Output.EmbeddingFile"/> on a text file
/// of the sentences (stateless: regrouped by length in windows, docs/formats.md) writing the HDF5 file; <c>--mode batches</c>
/// times <see cref="ElmoModel.Embed(IReadOnlyList{IReadOnlyList{string}}, ElmoBatchOutput, ElmoState?)"/> on the user's
/// batches in input order instead (the library call, no file).
/// Usage: e2e [--preset small|medium|original] [--input data/brown/brown.txt] [--sentences 2000] [--batch-size 64] [--threads N]
///            [--mode file|batches] [--trace-memory] [--cache-size N] [--window-tokens N] [--window-sentences N]
///            [--batch-tokens T] [--batch-rows R]   (e2e --help describes them)
/// </summary>
public static class EndToEnd
{
    /// <summary>The <c>e2e</c> subcommand and its options.</summary>
    public static Command Command()
    {
        var preset = BenchOptions.Preset(ModelPreset.Original);
        var input = BenchOptions.Input();
        var sentences = BenchOptions.Sentences();
        var batchSize = CommandLineOptions.Int("--batch-size", 64, 1, "sentences per batch (EmbeddingFileOptions.BatchSize, or the batches of --mode batches)");
        var threads = BenchOptions.Threads();
        var mode = new Option<EndToEndMode>("--mode")
        {
            HelpName = "file|batches",
            Description = "what is timed: file, elmo embed's path (EmbeddingFile from a text file of the sentences to an HDF5 file, "
                + "regrouped by length); batches, ElmoModel.Embed on the batches in input order, no file",
            DefaultValueFactory = _ => EndToEndMode.File,
            CustomParser = r =>
            {
                string m = r.Tokens[0].Value;
                if (Enum.TryParse(m, ignoreCase: true, out EndToEndMode value) && Enum.IsDefined(value)) return value;
                r.AddError($"--mode is file or batches, not {m}");
                return default;
            },
        };
        var trace = CommandLineOptions.Switch("--trace-memory",
            "print the resident set, native bytes and managed heap on stderr at each stage, and the native buffers of more than 100 KB after the timed run");
        var cache = BenchOptions.CacheSize();
        var windowTokens = CommandLineOptions.Int("--window-tokens", new ElmoNative.Output.EmbeddingFileOptions().WindowTokens, 1,
            "a regrouping window stops taking sentences at this many tokens (EmbeddingFileOptions.WindowTokens)");
        var windowSentences = CommandLineOptions.OptionalInt("--window-sentences", 1,
            "most sentences of a regrouping window (EmbeddingFileOptions.WindowSentences; default: 128 x the batch size)");
        var batchTokens = BenchOptions.BatchTokens();
        var batchRows = BenchOptions.BatchRows();
        var command = new Command("e2e",
            "end-to-end tokens/s on real text (elmo embed's path by default), load time, batch-1 latency of a 20-token sentence and peak memory")
        {
            preset, input, sentences, batchSize, threads, mode, trace, cache, windowTokens, windowSentences, batchTokens, batchRows,
        };
        command.SetAction(args =>
        {
            string file = args.GetRequiredValue(input);
            if (!File.Exists(file)) { Console.Error.WriteLine($"e2e: {file} not found (run tools/fetch-brown.sh first)"); return 1; }
            traceMemory = args.GetValue(trace);
            cacheSize = args.GetValue(cache);
            var fileOptions = new ElmoNative.Output.EmbeddingFileOptions
            {
                WindowTokens = args.GetValue(windowTokens),
                WindowSentences = args.GetValue(windowSentences),
                BatchTokens = args.GetValue(batchTokens),
                BatchRows = args.GetValue(batchRows),
            };
            var result = Measure(args.GetValue(preset), file, args.GetValue(sentences), args.GetValue(batchSize), args.GetValue(threads), args.GetValue(mode), fileOptions);
            Console.WriteLine(result.Describe());
            return 0;
        });
        return command;
    }

    /// <summary>The default input: the Brown corpus under data/brown of the repository.</summary>
    public static string DefaultInput => Path.Combine(RepositoryRoot, "data", "brown", "brown.txt");

    /// <summary>The repository root: the first folder above the build output that holds ElmoNative.sln.</summary>
    public static string RepositoryRoot => FindRoot();

    /// <summary>The folder of the random checkpoint (seed 1) of <paramref name="preset"/> the benchmarks use, written once.</summary>
    public static string CheckpointDirectory(ModelPreset preset)
    {
        string dir = Path.Combine(Path.GetTempPath(), "elmonative-bench", $"{preset.ToString().ToLowerInvariant()}-seed1");
        if (!File.Exists(Path.Combine(dir, ModelFiles.WeightsFileName)))
        {
            Console.Error.WriteLine($"writing random {preset} checkpoint to {dir} ...");
            RandomCheckpoint.Create(preset, 1).SaveDirectory(dir);
        }
        return dir;
    }

    /// <summary>
    /// Reads every file of the checkpoint directory once, untimed, so that the load timed next is a load from a warm page
    /// cache (issue 10's target), whatever ran before. On the development machine the page cache does not stay warm by
    /// itself: the kernel's DAMON proactive reclaim pages out memory untouched for about a minute, the page cache of a
    /// checkpoint included (bench/README.md, "The page cache goes cold within a minute").
    /// </summary>
    public static void WarmPageCache(string dir)
    {
        var buffer = new byte[1 << 20];
        foreach (string file in Directory.EnumerateFiles(dir))
        {
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            while (stream.Read(buffer) > 0) { }
        }
    }

    /// <summary>
    /// Writes (once) and loads a random checkpoint of <paramref name="preset"/> (its page cache warmed first, see
    /// <see cref="WarmPageCache"/>), then measures stateless embedding in
    /// batches of <paramref name="batchSize"/> over the first <paramref name="sentencesWanted"/> lines of
    /// <paramref name="input"/> (through <see cref="ElmoNative.Output.EmbeddingFile"/> in <see cref="EndToEndMode.File"/>),
    /// the steady-state allocations, and the batch-1 latency of a 20-token sentence. With <paramref name="rounds"/> above 1
    /// the timed run is repeated, each round from the same start (the token cache cleared and the warm-up batch run again),
    /// and <paramref name="afterEachRound"/> (given the round's number) runs right after each one: the report times its
    /// yardstick there, so that each round has one of its own, taken in the same conditions.
    /// </summary>
    public static EndToEndResult Measure(ModelPreset preset, string input, int sentencesWanted, int batchSize, int threads, EndToEndMode mode,
        ElmoNative.Output.EmbeddingFileOptions? fileOptions = null, int rounds = 1, Action<int>? afterEachRound = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        fileOptions = (fileOptions ?? new ElmoNative.Output.EmbeddingFileOptions()) with { BatchSize = batchSize };
        KernelSettings.MaxThreads = threads;
        string dir = CheckpointDirectory(preset);
        long weightBytes = new FileInfo(Path.Combine(dir, ModelFiles.WeightsFileName)).Length;

        var sentences = File.ReadLines(input).Take(sentencesWanted)
            .Select(l => (IReadOnlyList<string>)l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        long tokens = sentences.Sum(s => (long)s.Count);

        WarmPageCache(dir);
        var load = Stopwatch.StartNew();
        using var model = ElmoModel.LoadDirectory(dir);
        if (cacheSize is { } capacity) model.TokenCacheCapacity = capacity;
        load.Stop();
        Trace("after load");
        long peakAfterLoad, rssAfterLoad;
        using (var afterLoad = Process.GetCurrentProcess()) (peakAfterLoad, rssAfterLoad) = (afterLoad.PeakWorkingSet64, afterLoad.WorkingSet64);

        // Warm-up: one batch (JIT, workspace growth), not timed, on the path the run times.
        var output = new ElmoBatchOutput(); // reused: the API that lets steady-state embedding allocate nothing
        void WarmUp()
        {
            if (mode == EndToEndMode.File) WriteFile(model, sentences.Take(batchSize), fileOptions);
            else model.Embed(sentences.Take(batchSize).ToList(), output);
        }
        WarmUp();
        Trace("after warm-up");
        var cacheAtStart = model.TokenCacheStatistics;

        // The batches are cut before timing so that the loop measures the model alone (and its allocations).
        var batches = new List<List<IReadOnlyList<string>>>();
        for (int start = 0; start < sentences.Count; start += batchSize)
            batches.Add(sentences.GetRange(start, Math.Min(batchSize, sentences.Count - start)));
        Stopwatch TimedRun()
        {
            if (mode == EndToEndMode.File)
            {
                // What `elmo embed --input TEXT --output FILE` runs at its defaults (the files are removed afterwards).
                return WriteFile(model, sentences, fileOptions);
            }
            var run = Stopwatch.StartNew();
            int traced = 0;
            foreach (var batch in batches) { model.Embed(batch, output); if (++traced % 8 == 0) Trace($"batch {traced}"); }
            run.Stop();
            return run;
        }
        using var self = Process.GetCurrentProcess();
        TimeSpan cpuBefore = self.TotalProcessorTime;
        long allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        Stopwatch run = TimedRun();
        long allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;
        Trace("after the timed run");
        if (traceMemory) DumpBuffers(model, Console.Error);
        long peakAfterRun;
        using (var afterRun = Process.GetCurrentProcess()) peakAfterRun = afterRun.PeakWorkingSet64; // the timed path's peak, before the batches below
        self.Refresh();
        double cpuSeconds = (self.TotalProcessorTime - cpuBefore).TotalSeconds;
        var cacheAfterRun = model.TokenCacheStatistics;
        long runHits = cacheAfterRun.Hits - cacheAtStart.Hits, runLookups = runHits + cacheAfterRun.Misses - cacheAtStart.Misses;

        var roundSeconds = new double[rounds];
        roundSeconds[0] = run.Elapsed.TotalSeconds;
        afterEachRound?.Invoke(0);
        for (int round = 1; round < rounds; round++)
        {
            // The same start as the first round: only the warm-up batch's tokens in the cache.
            model.ClearTokenCache();
            WarmUp();
            roundSeconds[round] = TimedRun().Elapsed.TotalSeconds;
            afterEachRound?.Invoke(round);
        }

        // Steady state: the first batches again, twice; the second pass is measured (buffers grown, tokens cached, pool threads warm).
        int again = Math.Min(8, batches.Count);
        for (int b = 0; b < again; b++) model.Embed(batches[b], output);
        long steadyBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (int b = 0; b < again; b++) model.Embed(batches[b], output);
        long steady = GC.GetTotalAllocatedBytes(precise: true) - steadyBefore;
        var cacheAtEnd = model.TokenCacheStatistics;

        var twenty = Enumerable.Range(0, 20).Select(i => sentences.SelectMany(s => s).ElementAt(i)).ToArray();
        model.Embed(twenty);
        // The median of 11 runs: on a shared machine single runs vary by a third (bench/README.md, "AVX2 on a Zen 3").
        const int latencyRuns = 11;
        var latencies = new double[latencyRuns];
        for (int r = 0; r < latencyRuns; r++)
        {
            long start = Stopwatch.GetTimestamp();
            model.Embed(twenty);
            latencies[r] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(latencies);

        Trace("end");
        self.Refresh();
        return new EndToEndResult
        {
            Preset = preset,
            Options = model.Options,
            ParameterCount = model.ParameterCount,
            WeightBytes = weightBytes,
            InputName = Path.GetFileName(input),
            Sentences = sentences.Count,
            Tokens = tokens,
            Threads = threads,
            BatchSize = batchSize,
            Mode = mode,
            Batches = batches.Count,
            LoadSeconds = load.Elapsed.TotalSeconds,
            EmbedSeconds = run.Elapsed.TotalSeconds,
            RoundSeconds = roundSeconds,
            CpuSeconds = cpuSeconds,
            AllocatedBytes = allocated,
            SteadyBytesPerBatch = steady / (double)again,
            SteadyBatches = again,
            CacheHits = runHits,
            CacheLookups = runLookups,
            CacheCount = cacheAtEnd.Count,
            CacheCapacity = cacheAtEnd.Capacity,
            LatencyMilliseconds = latencies[latencyRuns / 2],
            LatencyBestMilliseconds = latencies[0],
            LatencyRuns = latencyRuns,
            PeakBytes = peakAfterRun,
            PeakAfterLoadBytes = peakAfterLoad,
            ResidentAfterLoadBytes = rssAfterLoad,
            ManagedHeapBytes = GC.GetGCMemoryInfo().HeapSizeBytes,
        };
    }

    private static bool traceMemory; // --trace-memory
    private static int? cacheSize; // --cache-size: the token cache's capacity instead of the model's default

    /// <summary>
    /// `elmo embed`'s path: the sentences as a text file embedded into an HDF5 file (both removed); the time it took. The
    /// files are in a folder of their own: the atomic write lists the output's folder for stale temporary files, and the
    /// system's temporary folder may hold thousands of entries (8,848 on the development VM).
    /// </summary>
    private static Stopwatch WriteFile(ElmoModel model, IEnumerable<IReadOnlyList<string>> sentences, ElmoNative.Output.EmbeddingFileOptions options)
    {
        string folder = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "elmonative-bench", $"e2e-{Environment.ProcessId}")).FullName;
        string text = Path.Combine(folder, "sentences.txt");
        string hdf5 = Path.Combine(folder, "sentences.hdf5");
        File.WriteAllLines(text, sentences.Select(s => string.Join(' ', s)));
        try
        {
            var run = Stopwatch.StartNew();
            ElmoNative.Output.EmbeddingFile.Write(model, text, hdf5, options);
            run.Stop();
            return run;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>With --trace-memory: resident set, and the managed heap by generation as of the last collection, on stderr.</summary>
    private static void Trace(string label)
    {
        if (!traceMemory) return;
        using var p = Process.GetCurrentProcess();
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        var g = info.GenerationInfo;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"[{label}] rss {p.WorkingSet64 / 1e6:F0} peak {p.PeakWorkingSet64 / 1e6:F0} native {ElmoNative.Kernels.Memory.AlignedMemory.LiveBytes / 1e6:F0} heap {info.HeapSizeBytes / 1e6:F0} committed {info.TotalCommittedBytes / 1e6:F0} frag {info.FragmentedBytes / 1e6:F0} gen0 {g[0].SizeAfterBytes / 1e6:F0} gen1 {g[1].SizeAfterBytes / 1e6:F0} gen2 {g[2].SizeAfterBytes / 1e6:F0} loh {g[3].SizeAfterBytes / 1e6:F0} poh {g[4].SizeAfterBytes / 1e6:F0} gcs {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)} alloc {GC.GetTotalAllocatedBytes() / 1e6:F0}"));
    }

    /// <summary>
    /// With --trace-memory: every native scratch buffer (<see cref="NativeBuffer{T}"/>) of more than 100 KB reachable from
    /// <paramref name="root"/> (the model, its workspaces), by field path, on stderr. A diagnostic that reads private
    /// fields by reflection: it names where the workspaces' memory is, not an API.
    /// </summary>
    internal static void DumpBuffers(object root, TextWriter output)
    {
        var seen = new HashSet<object>(ReferenceEqualityComparer.Instance);
        void Walk(object o, string path, int depth)
        {
            if (o is null || depth > 6 || !seen.Add(o)) return;
            var t = o.GetType();
            if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(NativeBuffer<>))
            {
                int cap = (int)t.GetProperty("Capacity")!.GetValue(o)!;
                long bytes = (long)cap * (t.GetGenericArguments()[0] == typeof(long) ? 8 : 4);
                if (bytes > 100_000) output.WriteLine($"  {path}: {bytes / 1e6:F2} MB");
                return;
            }
            if (o is FoldedConvolution folded)
            {
                output.WriteLine($"  {path}: {folded.ResponseBytes / 1e6:F2} MB of character responses");
                return;
            }
            if (o is System.Collections.IEnumerable e && o is not string)
            {
                int i = 0;
                foreach (var x in e) { if (x is not null && !x.GetType().IsPrimitive) Walk(x, $"{path}[{i}]", depth + 1); if (++i > 50) break; }
                if (t.IsArray) return;
            }
            if (t.Namespace is null || !t.Namespace.StartsWith("ElmoNative", StringComparison.Ordinal) && !t.Namespace.StartsWith("System.Collections.Concurrent", StringComparison.Ordinal)) return;
            for (var tt = t; tt is not null; tt = tt.BaseType)
                foreach (var f in tt.GetFields(System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.DeclaredOnly))
                    if (!f.FieldType.IsPrimitive && !f.FieldType.IsPointer) Walk(f.GetValue(o)!, path + "." + f.Name, depth + 1);
        }
        Walk(root, "model", 0);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ElmoNative.sln"))) dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }
}

/// <summary>What the end-to-end run times.</summary>
public enum EndToEndMode
{
    /// <summary>`elmo embed` at its defaults: EmbeddingFile from a text file to an HDF5 file (stateless: regrouped).</summary>
    File,

    /// <summary>ElmoModel.Embed on the user's batches in input order, no file.</summary>
    Batches,
}
