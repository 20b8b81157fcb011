using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ElmoNative.Checkpoints;

namespace ElmoNative.Bench;

/// <summary>
/// Memory of <c>elmo embed</c>'s streaming path over a long input: <see cref="ElmoNative.Output.EmbeddingFile"/> from a
/// text file to an HDF5 file (removed afterwards), stopped after a number of seconds, with the resident set, the native
/// bytes and the managed heap printed at intervals and the largest native buffers listed at the end (as
/// <c>e2e --trace-memory</c> does). The peak it prints is the process's (VmHWM), load included.
/// With <c>--sample-after S</c>, the managed allocations are sampled by type from S seconds on (the steady state; 0,
/// the default: from the end of the load) and listed at the end.
/// Usage: stream-memory [--preset original] [--input FILE] [--seconds 100] [--every 10] [--sample-after S] [--cache-size N]
///                      [--batch-tokens T] [--batch-rows R]   (stream-memory --help describes them)
/// </summary>
public static class StreamMemory
{
    /// <summary>The <c>stream-memory</c> subcommand and its options.</summary>
    public static Command Command()
    {
        var preset = BenchOptions.Preset(ModelPreset.Original);
        var input = BenchOptions.Input();
        var seconds = CommandLineOptions.Seconds("--seconds", 100, "the embedding is stopped after this many seconds (the whole input if it ends first)");
        var every = CommandLineOptions.Seconds("--every", 10, "seconds between two lines of memory figures");
        var sampleAfter = CommandLineOptions.Seconds("--sample-after", 0, "managed allocations are sampled by type from this many seconds on (0: from the end of the load)");
        var cache = BenchOptions.CacheSize();
        var batchTokens = BenchOptions.BatchTokens();
        var batchRows = BenchOptions.BatchRows();
        var command = new Command("stream-memory",
            "the memory of elmo embed's streaming path over a long input: resident set, native bytes and managed heap at intervals, then the largest buffers")
        {
            preset, input, seconds, every, sampleAfter, cache, batchTokens, batchRows,
        };
        command.SetAction(args => Run(args.GetValue(preset), args.GetRequiredValue(input), args.GetValue(seconds), args.GetValue(every), args.GetValue(sampleAfter),
            args.GetValue(cache), new ElmoNative.Output.EmbeddingFileOptions { BatchTokens = args.GetValue(batchTokens), BatchRows = args.GetValue(batchRows) }));
        return command;
    }

    private static int Run(ModelPreset modelPreset, string input, double seconds, double every, double sampleAfter, int? cacheSize,
        ElmoNative.Output.EmbeddingFileOptions options)
    {
        if (!File.Exists(input)) { Console.Error.WriteLine($"stream-memory: {input} not found"); return 1; }

        using var allocations = new AllocationSampler();
        using var model = ElmoModel.LoadDirectory(EndToEnd.CheckpointDirectory(modelPreset));
        if (cacheSize is { } capacity) model.TokenCacheCapacity = capacity;
        var clock = Stopwatch.StartNew();
        Print(clock, "after load", 0);
        string output = Path.Combine(Path.GetTempPath(), $"elmonative-stream-{Environment.ProcessId}.hdf5");
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        double next = every;
        long tokens = 0;
        var progress = new SynchronousProgress(p =>
        {
            tokens = p.Tokens;
            if (clock.Elapsed.TotalSeconds >= sampleAfter) allocations.Recording = true;
            if (clock.Elapsed.TotalSeconds < next) return;
            next += every;
            Print(clock, "running", tokens);
        });
        allocations.Recording = sampleAfter <= 0;
        try
        {
            ElmoNative.Output.EmbeddingFile.Write(model, input, output, options, progress, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            File.Delete(output);
        }
        Print(clock, "stopped", tokens);
        var cache = model.TokenCacheStatistics;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"token cache: {cache.Count} of {cache.Capacity}, hit rate {cache.HitRate:P1}; peak RSS (VmHWM) {Status("VmHWM") / 1024.0:F0} MB"));
        allocations.Recording = false;
        allocations.Print(Console.Out);
        EndToEnd.DumpBuffers(model, Console.Out);
        return 0;
    }

    private static void Print(Stopwatch clock, string label, long tokens)
    {
        var info = GC.GetGCMemoryInfo(GCKind.Any);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{clock.Elapsed.TotalSeconds,6:F0} s {label,-10} tokens {tokens,9:N0}  rss {Status("VmRSS") / 1024.0,4:F0} (anon {Status("RssAnon") / 1024.0:F0}, file {Status("RssFile") / 1024.0:F0})  native {ElmoNative.Kernels.Memory.AlignedMemory.LiveBytes / 1e6:F0}  managed: heap {info.HeapSizeBytes / 1e6:F0} committed {info.TotalCommittedBytes / 1e6:F0} frag {info.FragmentedBytes / 1e6:F0}  gcs {GC.CollectionCount(0)}/{GC.CollectionCount(1)}/{GC.CollectionCount(2)}  allocated {GC.GetTotalAllocatedBytes() / 1e6:F0} MB"));
    }

    /// <summary>A field of /proc/self/status in kB (0 where there is none).</summary>
    private static long Status(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field + ":", StringComparison.Ordinal))
                return long.Parse(line.AsSpan(field.Length + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
        return 0;
    }

    /// <summary>Reports on the embedding thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<ElmoNative.Output.EmbeddingFileProgress> report) : IProgress<ElmoNative.Output.EmbeddingFileProgress>
    {
        public void Report(ElmoNative.Output.EmbeddingFileProgress value) => report(value);
    }
}
