// Optional yardstick for the SGEMM benchmark: cblas_sgemm (and cblas_sgemv) from the system's OpenBLAS (Debian package
// libopenblas0-pthread), loaded at run time. Benchmarks only; the library never depends on it. When it
// is not installed, IsAvailable is false and the OpenBLAS rows report n/a.
using System.Runtime.InteropServices;

namespace ElmoNative.Bench.Kernels;

/// <summary>Run-time binding to OpenBLAS's cblas_sgemm and cblas_sgemv, if the library is installed (no unsafe code: arrays are pinned by the marshaller).</summary>
internal static class OpenBlas
{
    private const int RowMajor = 101;
    private const int NoTrans = 111;
    private const int Trans = 112;

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SgemmFunction(int order, int transA, int transB, int m, int n, int k, float alpha,
        float[] a, int lda, float[] b, int ldb, float beta, float[] c, int ldc);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SgemvFunction(int order, int trans, int m, int n, float alpha, float[] a, int lda,
        float[] x, int incX, float beta, float[] y, int incY);

    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    private delegate void SetThreadsFunction(int threads);

    private static readonly SgemmFunction? Sgemm;
    private static readonly SgemvFunction? Sgemv;
    private static readonly SetThreadsFunction? SetThreads;

    static OpenBlas()
    {
        foreach (string name in new[] { "libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0", "libopenblas.so", "openblas" })
        {
            if (NativeLibrary.TryLoad(name, out nint handle)
                && NativeLibrary.TryGetExport(handle, "cblas_sgemm", out nint sgemm)
                && NativeLibrary.TryGetExport(handle, "cblas_sgemv", out nint sgemv)
                && NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint setThreads))
            {
                Sgemm = Marshal.GetDelegateForFunctionPointer<SgemmFunction>(sgemm);
                Sgemv = Marshal.GetDelegateForFunctionPointer<SgemvFunction>(sgemv);
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

    /// <summary>y = x B for x [k], row-major B [k, n], y [n] (a GEMV: B read once, two flops per element).</summary>
    public static void MultiplyVector(int n, int k, float[] x, float[] b, float[] y)
    {
        if (Sgemv is null) throw new InvalidOperationException("OpenBLAS is not installed (Debian: libopenblas0-pthread)");
        Sgemv(RowMajor, Trans, k, n, 1f, b, n, x, 1, 0f, y, 1);
    }
}
