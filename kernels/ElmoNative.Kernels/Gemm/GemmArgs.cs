// One GEMM call with its operands pinned, as raw pointers: what the driver, the packing routines and the
// worker threads share. Only lives while the caller's spans are fixed.
namespace ElmoNative.Kernels.Gemm;

/// <summary>The operands of C = alpha * op(A) op(B) + beta * C as pinned pointers and strides.</summary>
internal unsafe struct GemmArgs
{
    public Transpose TransA;
    public Transpose TransB;
    public int M;
    public int N;
    public int K;
    public float Alpha;
    public float Beta;
    public float* A;
    public nint Lda;
    public float* B;
    public nint Ldb;

    /// <summary>B already in panel layout (whole K per panel); null when B must be packed per block.</summary>
    public float* PackedB;
    public float* C;
    public nint Ldc;
    public GemmBlocking Blocking;
}
