// Optional yardstick for the SGEMM benchmark: cblas_sgemm from the system's OpenBLAS (Debian package
// libopenblas0-pthread), loaded at run time. Benchmarks only; the library never depends on it. When it
// is not installed, IsAvailable is false and the OpenBLAS rows report n/a.
using System.Runtime.InteropServices;

namespace ElmoNative.Bench.Kernels;

/// <summary>Run-time binding to OpenBLAS's cblas_sgemm, if the library is installed (no unsafe code: arrays are pinned by the marshaller).</summary>
internal static class OpenBlas
{
    private const int RowMajor = 101;
    private const int NoTrans = 111;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SgemmFunction(int order, int transA, int transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetThreadsFunction(int threads);

    private static readonly SgemmFunction? Sgemm;
    private static readonly SetThreadsFunction? SetThreads;

    static OpenBlas()
    {
        foreach (string name in new[] { "libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0", "libopenblas.so", "openblas" })
        {
            if (NativeLibrary.TryLoad(name, out nint handle)
                && NativeLibrary.TryGetExport(handle, "cblas_sgemm", out nint sgemm)
                && NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint setThreads))
            {
                Sgemm = Marshal.GetDelegateForFunctionPointer<SgemmFunction>(sgemm);
                SetThreads = Marshal.GetDelegateForFunctionPointer<SetThreadsFunction>(setThreads);
                return;
            }
        }
    }

    /// <summary>Whether OpenBLAS was found.</summary>
    public static bool IsAvailable => Sgemm is not null;

    /// <summary>Sets OpenBLAS's thread count.</summary>
    public static void SetThreadCount(int threads) => SetThreads?.Invoke(threads);

    /// <summary>C = A B for row-major A [m, k], B [k, n], C [m, n], contiguous.</summary>
    public static void Multiply(int m, int n, int k, float[] a, float[] b, float[] c)
    {
        if (Sgemm is null) throw new InvalidOperationException("OpenBLAS is not installed (Debian: libopenblas0-pthread)");
        Sgemm(RowMajor, NoTrans, NoTrans, m, n, k, 1f, a, k, b, n, 0f, c, n);
    }
}
