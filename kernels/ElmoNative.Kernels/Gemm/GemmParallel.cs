// Splits a large GEMM across threads. Each thread computes a disjoint block of C with its own pack
// buffers: whole Nr panels of columns when N is wide (the LSTM and projection shapes), whole Mr panels
// of rows otherwise (the convolution shapes). Every element of C sees the same K-block order either way,
// so the result is bit-identical to the single-threaded one. The job object and its delegate are cached
// per calling thread; ParallelParts runs the parts on the caller and pool helpers without allocating.
namespace ElmoNative.Kernels.Gemm;

/// <summary>Runs a GEMM on up to a given number of threads.</summary>
internal static unsafe class GemmParallel
{
    /// <summary>
    /// Below this many flops (2mnk, 134 M: about 0.6 ms on one Zen 5 core) a call stays on the calling thread. A helper
    /// from the thread pool starts a few hundred microseconds late on the 2-vCPU VM of bench/README.md, so below that
    /// the caller ran most parts itself and the second thread only cost the fork and the join: with the former bound
    /// (4 M) M=3 K=4096 N=512 ran at 57 GFLOP/s on two threads against 79 on one, M=24 K=4096 N=512 at 172 against 202,
    /// while M=32 (134 M) gains (208 -> 274).
    /// </summary>
    public const long DefaultMinParallelFlops = 1L << 27;

    /// <summary>
    /// The bound in force (<see cref="DefaultMinParallelFlops"/>); tests that must see small models' kernels fork lower
    /// it. The results are the same bits on any number of threads, so it changes only the speed.
    /// </summary>
    public static long MinParallelFlops { get; set; } = DefaultMinParallelFlops;

    /// <summary>Computes the whole product <paramref name="g"/> with at most <paramref name="maxThreads"/> threads.</summary>
    public static void Run<TKernel>(in GemmArgs g, int maxThreads)
        where TKernel : IMicroKernel
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        long flops = 2L * g.M * g.N * g.K;
        int threads = flops < MinParallelFlops ? 1 : maxThreads;
        int nPanels = (g.N + nr - 1) / nr;
        int mPanels = (g.M + mr - 1) / mr;
        bool splitColumns = false;
        if (threads > 1 && nPanels >= 2 * threads && (g.N >= g.M || mPanels < 2 * threads)) splitColumns = true;
        else if (threads > 1 && mPanels >= 2 * threads) splitColumns = false;
        else if (threads > 1 && nPanels >= threads) splitColumns = true;
        else if (threads > 1 && mPanels >= threads) splitColumns = false;
        else threads = 1;

        if (threads == 1)
        {
            GemmDriver<TKernel>.Run(g, 0, g.M, 0, g.N);
            return;
        }

        int panels = splitColumns ? nPanels : mPanels;
        int perPart = (panels + threads - 1) / threads;
        int parts = (panels + perPart - 1) / perPart;
        Job<TKernel> job = Job<TKernel>.ForCurrentThread;
        job.Args = g;
        job.SplitColumns = splitColumns;
        job.Step = perPart * (splitColumns ? nr : mr);
        ParallelParts.For(parts, threads, job.Body);
    }

    /// <summary>The shared state of one parallel call, reused by the calling thread.</summary>
    private sealed class Job<TKernel>
        where TKernel : IMicroKernel
    {
        [ThreadStatic]
        private static Job<TKernel>? forCurrentThread;

        public GemmArgs Args;
        public bool SplitColumns;
        public int Step;

        private Job() => Body = RunPart;

        public static Job<TKernel> ForCurrentThread => forCurrentThread ??= new Job<TKernel>();

        public Action<int> Body { get; }

        private void RunPart(int part)
        {
            int start = part * Step;
            if (SplitColumns)
                GemmDriver<TKernel>.Run(Args, 0, Args.M, start, Math.Min(Args.N, start + Step));
            else
                GemmDriver<TKernel>.Run(Args, start, Math.Min(Args.M, start + Step), 0, Args.N);
        }
    }
}
