// Optional yardstick for the SGEMM benchmark: cblas_sgemm from the system's OpenBLAS (Debian package
// libopenblas0-pthread), loaded at run time. Benchmarks only; the library never depends on it. When it
// is not installed, IsAvailable is false and the OpenBLAS rows report n/a.
using System.Runtime.InteropServices;

namespace ElmoNative.Bench.Kernels;

/// <summary>Run-time binding to OpenBLAS's cblas_sgemm, if the library is installed.</summary>
internal static unsafe class OpenBlas
{
    private const int RowMajor = 101;
    private const int NoTrans = 111;

    private static readonly delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> Sgemm;
    private static readonly delegate* unmanaged[Cdecl]<int, void> SetThreads;

    static OpenBlas()
    {
        foreach (string name in new[] { "libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0", "libopenblas.so", "openblas" })
        {
            if (NativeLibrary.TryLoad(name, out nint handle)
                && NativeLibrary.TryGetExport(handle, "cblas_sgemm", out nint sgemm)
                && NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out nint setThreads))
            {
                Sgemm = (delegate* unmanaged[Cdecl]<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
                SetThreads = (delegate* unmanaged[Cdecl]<int, void>)setThreads;
                return;
            }
        }
    }

    /// <summary>Whether OpenBLAS was found.</summary>
    public static bool IsAvailable => Sgemm != null;

    /// <summary>Sets OpenBLAS's thread count.</summary>
    public static void SetThreadCount(int threads)
    {
        if (IsAvailable) SetThreads(threads);
    }

    /// <summary>C = A B for row-major A [m, k], B [k, n], C [m, n], contiguous.</summary>
    public static void Multiply(int m, int n, int k, float[] a, float[] b, float[] c)
    {
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
            Sgemm(RowMajor, NoTrans, NoTrans, m, n, k, 1f, pa, k, pb, n, 0f, pc, n);
    }
}
