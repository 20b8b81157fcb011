// The memory yardstick of batch-1 latency: a batch-1 LSTM step reads every recurrent and projection weight once and
// does two flops per weight, so it runs at the speed weights stream from DRAM. This probe measures that speed as a
// GEMV (y = x B, M = 1) over matrices at the recurrent shape (K = 512, N = 16384: 32 MB each, 192 MB in all, far more
// than the L3), best of N: ours on two threads that each stream their own three matrices (as the model's two directions
// do), and OpenBLAS's sgemv on two threads over the six one after the other.
using ElmoNative.Kernels;

namespace ElmoNative.Bench.Kernels;

/// <summary>GB/s of weights streamed by a GEMV, ours and OpenBLAS's.</summary>
public static class GemvProbe
{
    private const int K = 512, N = 16384, Matrices = 6;

    /// <summary>Best-of-<paramref name="repeats"/> GB/s on <paramref name="threads"/> threads: ours, and OpenBLAS's (NaN when it is not installed).</summary>
    public static (double Ours, double OpenBlas) Bandwidth(int threads, int repeats)
    {
        var random = new Random(7);
        var x = Enumerable.Range(0, K).Select(_ => random.NextSingle() - 0.5f).ToArray();
        var b = Enumerable.Range(0, K * N).Select(_ => random.NextSingle() - 0.5f).ToArray();
        double bytes = (double)Matrices * K * N * sizeof(float);

        // OpenBLAS's workers spin for a while after a parallel call (GemmProbe.OpenBlasParkMilliseconds), holding a core:
        // an OpenBLAS product just before (the report's SGEMM probe, or this probe's previous call) would slow ours.
        if (OpenBlas.IsAvailable) Thread.Sleep(GemmProbe.OpenBlasParkMilliseconds);
        var packed = Enumerable.Range(0, Matrices).Select(_ => PackedMatrix.Pack(b, K, N, N)).ToArray();
        var outputs = Enumerable.Range(0, threads).Select(_ => new float[N]).ToArray();
        void Part(int t)
        {
            for (int i = t; i < Matrices; i += threads) Sgemm.Multiply(1, null, 1, x, K, packed[i], 0f, outputs[t], N);
        }
        double ours = bytes / GemmProbe.Best(repeats, () => Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, Part)) / 1e9;
        foreach (var p in packed) p.Dispose();

        double blas = double.NaN;
        if (OpenBlas.IsAvailable)
        {
            var copies = Enumerable.Range(0, Matrices).Select(_ => (float[])b.Clone()).ToArray();
            var y = new float[N];
            OpenBlas.SetThreadCount(threads);
            blas = bytes / GemmProbe.Best(repeats, () =>
            {
                foreach (var copy in copies) OpenBlas.MultiplyVector(N, K, x, copy, y);
            }) / 1e9;
        }
        return (ours, blas);
    }
}
