// A probe of the GEMMs of stateless LSTM steps as the model runs them (not BenchmarkDotNet): per direction and layer an
// input GEMM x W_x (M, P, 4H), a recurrent GEMM m W_h (M, P, 4H, beta 1) and a projection h W_P (M, H, P), each with its
// own prepacked weights, so that the weights stream from memory as in the model (2 layers x 72 MB at the original
// shape: far more than the L3). One direction per thread, as BiLm runs them; GFLOP/s per kind of GEMM.
// Times are the thread's own CPU time (CLOCK_THREAD_CPUTIME_ID), so that other jobs on the machine do not count.
// Usage: lstm-probe [--rows 32,64,100,128] [--threads 1|2] [--steps 20] [--h 4096] [--p 512]   (lstm-probe --help describes them)
using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using ElmoNative.Kernels;

namespace ElmoNative.Bench.Kernels;

/// <summary>GFLOP/s of the three GEMMs of an LSTM step with the weights streaming from memory.</summary>
public static class LstmStepProbe
{
    private static readonly int[] DefaultRows = [32, 64, 100, 128];

    /// <summary>The <c>lstm-probe</c> subcommand and its options.</summary>
    public static Command Command()
    {
        var rows = CommandLineOptions.IntList("--rows", "R1,R2,...",
            $"the batch rows M measured, one line each (default: {string.Join(',', DefaultRows)})");
        var threads = CommandLineOptions.Int("--threads", 1, 1, "directions run side by side, one thread each, as BiLm runs them (1 or 2)");
        var steps = CommandLineOptions.Int("--steps", 20, 1, "LSTM steps timed per direction and row count (after one warm-up pass)");
        var h = CommandLineOptions.Int("--h", 4096, 1, "the LSTM cell width H (original: 4096)", "H");
        var p = CommandLineOptions.Int("--p", 512, 1, "the projection width P (original: 512)", "P");
        var command = new Command("lstm-probe",
            "GFLOP/s (in thread CPU time) of the input, recurrent and projection GEMMs of LSTM steps, 2 layers of weights streaming from memory")
        {
            rows, threads, steps, h, p,
        };
        command.SetAction(args => Run(args.GetValue(rows) is { Length: > 0 } chosen ? chosen : DefaultRows,
            args.GetValue(threads), args.GetValue(steps), args.GetValue(h), args.GetValue(p)));
        return command;
    }

    private static int Run(int[] rowsList, int threads, int steps, int h, int p)
    {
        const int layers = 2;
        KernelSettings.MaxThreads = 1; // each direction's GEMMs on its own thread, as the model runs them
        var directions = Enumerable.Range(0, threads).Select(d => new Direction(h, p, layers, rowsList.Max(), 17 + d)).ToArray();
        Console.WriteLine($"H={h} P={p} layers={layers} threads={threads} steps={steps}  GFLOP/s per thread (CPU time)");
        Console.WriteLine($"{"rows",5} {"input",9} {"recurrent",9} {"projection",10} {"all",9}");
        foreach (int rows in rowsList)
        {
            var timings = new double[threads][];
            for (int pass = 0; pass < 2; pass++) // the first pass warms up
            {
                var tasks = directions.Select((d, i) => Task.Factory.StartNew(() => timings[i] = d.Run(rows, steps), TaskCreationOptions.LongRunning)).ToArray();
                Task.WaitAll(tasks);
            }
            double[] seconds = new double[3];
            foreach (var t in timings) for (int k = 0; k < 3; k++) seconds[k] += t[k] / threads;
            double input = 2.0 * rows * p * 4 * h * steps * layers, projection = 2.0 * rows * h * p * steps * layers;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{rows,5} {input / seconds[0] / 1e9,9:F1} {input / seconds[1] / 1e9,9:F1} {projection / seconds[2] / 1e9,10:F1} {(2 * input + projection) / seconds.Sum() / 1e9,9:F1}"));
        }
        foreach (var d in directions) d.Dispose();
        return 0;
    }

    private sealed class Direction : IDisposable
    {
        private readonly int h, p;
        private readonly PackedMatrix[] input, recurrent, projection;
        private readonly float[] x, m, z, hidden;

        public Direction(int h, int p, int layers, int maxRows, int seed)
        {
            this.h = h;
            this.p = p;
            var random = new Random(seed);
            PackedMatrix Random(int rows, int columns)
            {
                var values = new float[rows * columns];
                for (int i = 0; i < values.Length; i++) values[i] = random.NextSingle() * 0.02f - 0.01f;
                return PackedMatrix.Pack(values, rows, columns, columns);
            }
            input = Enumerable.Range(0, layers).Select(_ => Random(p, 4 * h)).ToArray();
            recurrent = Enumerable.Range(0, layers).Select(_ => Random(p, 4 * h)).ToArray();
            projection = Enumerable.Range(0, layers).Select(_ => Random(h, p)).ToArray();
            x = Enumerable.Range(0, maxRows * p).Select(_ => random.NextSingle() - 0.5f).ToArray();
            m = (float[])x.Clone();
            z = new float[maxRows * 4 * h];
            hidden = Enumerable.Range(0, maxRows * h).Select(_ => random.NextSingle() - 0.5f).ToArray();
        }

        /// <summary>Seconds in the input, recurrent and projection GEMMs over the steps.</summary>
        public double[] Run(int rows, int steps)
        {
            var seconds = new double[3];
            for (int t = 0; t < steps; t++)
                for (int l = 0; l < input.Length; l++)
                {
                    double start = ThreadClock.Now();
                    Sgemm.Multiply(rows, x.AsSpan(0, rows * p), p, input[l], 0f, z.AsSpan(0, rows * 4 * h), 4 * h);
                    double afterInput = ThreadClock.Now();
                    Sgemm.Multiply(rows, m.AsSpan(0, rows * p), p, recurrent[l], 1f, z.AsSpan(0, rows * 4 * h), 4 * h);
                    double afterRecurrent = ThreadClock.Now();
                    Sgemm.Multiply(rows, hidden.AsSpan(0, rows * h), h, projection[l], 0f, m.AsSpan(0, rows * p), p);
                    double end = ThreadClock.Now();
                    seconds[0] += (afterInput - start);
                    seconds[1] += (afterRecurrent - afterInput);
                    seconds[2] += (end - afterRecurrent);
                }
            return seconds;
        }

        public void Dispose()
        {
            foreach (var w in input.Concat(recurrent).Concat(projection)) w.Dispose();
        }
    }
}

/// <summary>The calling thread's CPU time in seconds (Linux clock_gettime).</summary>
internal static class ThreadClock
{
    private const int ThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    public static double Now() => ClockGetTime(ThreadCpuTime, out var t) == 0 ? t.Seconds + t.Nanoseconds * 1e-9 : double.NaN;
}
