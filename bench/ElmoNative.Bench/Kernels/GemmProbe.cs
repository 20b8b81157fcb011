// A quick SGEMM probe (not BenchmarkDotNet): best-of-N timing of our prepacked SGEMM and OpenBLAS at the ELMo shapes,
// on 1 and 2 threads, in the same process. For fast tuning loops; the BenchmarkDotNet suite gives the reported numbers.
// Usage: gemm [--repeats N] [--shape M,K,N]... [--blocking Kc,Mc,Nc] | gemm [--repeats N] --stream | gemm [--repeats N] --gemv
// (gemm --help describes them)
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ElmoNative.Kernels;

namespace ElmoNative.Bench.Kernels;

/// <summary>Best-of-N GFLOP/s of our SGEMM against OpenBLAS.</summary>
public static class GemmProbe
{
    /// <summary>How long OpenBLAS's spinning workers are given to park before our next measurement.</summary>
    internal const int OpenBlasParkMilliseconds = 300;

    /// <summary>The <c>gemm</c> subcommand and its options.</summary>
    public static Command Command()
    {
        var repeats = CommandLineOptions.Int("--repeats", 7, 1, "timed runs per case after one warm-up run; the best is reported");
        var shapes = new Option<GemmShape[]>("--shape")
        {
            HelpName = "M,K,N",
            Description = "a product C[M,N] = A[M,K] B[K,N] to time; repeat for several (default: the ELMo shapes of SgemmBenchmarks)",
            Arity = ArgumentArity.OneOrMore,
            CustomParser = r => [.. r.Tokens.Select(t => CommandLineOptions.ParseIntList(r, t.Value, "--shape", "M,K,N", 3)).Where(p => p.Length == 3).Select(p => new GemmShape(p[0], p[1], p[2]))],
        };
        var blocking = new Option<ElmoNative.Kernels.Gemm.GemmBlocking?>("--blocking")
        {
            HelpName = "Kc,Mc,Nc",
            Description = "our SGEMM's cache blocking instead of its own choice (rounded to whole panels)",
            CustomParser = r => CommandLineOptions.ParseIntList(r, r.Tokens[0].Value, "--blocking", "Kc,Mc,Nc", 3) is [int kc, int mc, int nc] ? new ElmoNative.Kernels.Gemm.GemmBlocking(kc, mc, nc) : null,
        };
        var stream = CommandLineOptions.Switch("--stream",
            "instead: GB/s of prepacked weights streamed from memory by products of 1 and 14 rows (K=512 N=16384, K=4096 N=512; one thread)");
        var gemv = CommandLineOptions.Switch("--gemv", "instead: the GEMV bandwidth of the report's latency bound (K=512 N=16384 x 6), ours and OpenBLAS's, on 1 and 2 threads");
        var command = new Command("gemm", "a quick best-of-N SGEMM probe: our prepacked SGEMM against OpenBLAS at the ELMo shapes, on 1 and 2 threads")
        {
            repeats, shapes, blocking, stream, gemv,
        };
        command.Validators.Add(r =>
        {
            int alone = (r.GetValue(stream) ? 1 : 0) + (r.GetValue(gemv) ? 1 : 0);
            bool products = r.GetResult(shapes) is not null || r.GetResult(blocking) is not null;
            if (alone > 1 || (alone == 1 && products)) r.AddError("--stream and --gemv run alone (with --repeats only)");
        });
        command.SetAction(args =>
        {
            int n = args.GetValue(repeats);
            if (args.GetValue(stream)) return Stream(n);
            if (args.GetValue(gemv)) return Gemv(n);
            return Run(n, args.GetValue(shapes) ?? [], args.GetValue(blocking));
        });
        return command;
    }

    private static int Run(int repeats, GemmShape[] chosen, ElmoNative.Kernels.Gemm.GemmBlocking? blocking)
    {
        var shapes = new List<GemmShape>(chosen);
        if (shapes.Count == 0) shapes.AddRange(SgemmBenchmarks.Shapes);
        int savedThreads = KernelSettings.MaxThreads;
        Console.WriteLine($"{"shape",-22} {"threads",7} {"ours GFLOP/s",13} {"OpenBLAS",9} {"ratio",6}");
        foreach (var shape in shapes)
        {
            var random = new Random(42);
            var a = Enumerable.Range(0, shape.M * shape.K).Select(_ => random.NextSingle() - 0.5f).ToArray();
            var b = Enumerable.Range(0, shape.K * shape.N).Select(_ => random.NextSingle() - 0.5f).ToArray();
            var c = new float[shape.M * shape.N];
            var packed = PackedMatrix.Pack(b, shape.K, shape.N, shape.N);
            foreach (int threads in new[] { 1, 2 })
            {
                KernelSettings.MaxThreads = threads;
                OpenBlas.SetThreadCount(threads);
                double ours = shape.Flops / Best(repeats, () => Sgemm.Multiply(threads, blocking, shape.M, a, shape.K, packed, 0f, c, shape.N)) / 1e9;
                double blas = OpenBlas.IsAvailable ? shape.Flops / Best(repeats, () => OpenBlas.Multiply(shape.M, shape.N, shape.K, a, b, c)) / 1e9 : double.NaN;
                // OpenBLAS's worker threads spin for a while after a parallel call (about 2^28 cycles, its THREAD_TIMEOUT),
                // holding the other core: our next two-thread product would then run on one core. Let them park first.
                if (OpenBlas.IsAvailable) Thread.Sleep(OpenBlasParkMilliseconds);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{shape,-22} {threads,7} {ours,13:F1} {blas,9:F1} {ours / blas,6:P0}"));
            }
        }
        KernelSettings.MaxThreads = savedThreads;
        return 0;
    }

    /// <summary>
    /// The recurrent step of a batch-1 LSTM as a memory test: C[1, N] = a B for six different prepacked B (192 MB in all at
    /// K = 512, N = 16384, far more than the L3), one after the other, so that every byte of B comes from DRAM; reports
    /// GB/s of B streamed, with the few-rows loop order (whole panels) and the general one (Kc blocks a panel apart).
    /// </summary>
    private static int Stream(int repeats)
    {
        foreach (var (k, n) in new[] { (512, 16384), (4096, 512) })
        {
            int copies = Math.Max(6, (int)((192L << 20) / ((long)k * n * sizeof(float))));
            var random = new Random(42);
            var a = Enumerable.Range(0, 14 * k).Select(_ => random.NextSingle() - 0.5f).ToArray();
            var b = Enumerable.Range(0, k * n).Select(_ => random.NextSingle() - 0.5f).ToArray();
            var packed = Enumerable.Range(0, copies).Select(_ => PackedMatrix.Pack(b, k, n, n)).ToArray();
            var c = new float[14 * n];
            foreach (int m in new[] { 1, 14 })
                foreach (bool fewRows in new[] { true, false })
                {
                    ElmoNative.Kernels.Gemm.GemmDriverSettings.FewRowsPath = fewRows;
                    double seconds = Best(repeats, () =>
                    {
                        foreach (var p in packed) Sgemm.Multiply(1, null, m, a, k, p, 1f, c, n);
                    });
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"M={m},K={k},N={n} x {copies} B  {(fewRows ? "whole panels" : "Kc blocks   ")}  {copies * (double)k * n * sizeof(float) / seconds / 1e9,6:F1} GB/s  {2.0 * m * k * n * copies / seconds / 1e9,6:F1} GFLOP/s"));
                }
            ElmoNative.Kernels.Gemm.GemmDriverSettings.FewRowsPath = true;
            foreach (var p in packed) p.Dispose();
        }
        return 0;
    }

    /// <summary>The GEMV bandwidth of the report's latency bound (<see cref="GemvProbe"/>), on one and two threads.</summary>
    private static int Gemv(int repeats)
    {
        foreach (int threads in new[] { 1, 2 })
        {
            (double ours, double blas) = GemvProbe.Bandwidth(threads, repeats);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GEMV K=512 N=16384 x 6, {threads} thread(s): ours {ours:F1} GB/s, OpenBLAS {blas:F1} GB/s"));
        }
        return 0;
    }

    /// <summary>
    /// Seconds per call of <paramref name="action"/> on average over about <paramref name="span"/> of back-to-back calls,
    /// after one warm-up call: a rate sustained over a span, where <see cref="Best"/> catches the machine's best moment.
    /// </summary>
    internal static double Mean(TimeSpan span, Action action)
    {
        action();
        long start = Stopwatch.GetTimestamp();
        int calls = 0;
        do
        {
            action();
            calls++;
        }
        while (Stopwatch.GetElapsedTime(start) < span);
        return Stopwatch.GetElapsedTime(start).TotalSeconds / calls;
    }

    /// <summary>Best wall time in seconds of <paramref name="repeats"/> runs after one warm-up run.</summary>
    internal static double Best(int repeats, Action action)
    {
        action();
        double best = double.MaxValue;
        for (int r = 0; r < repeats; r++)
        {
            long start = Stopwatch.GetTimestamp();
            action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        return best;
    }
}
