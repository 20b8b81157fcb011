// The contract between the blocked GEMM driver and a register-blocked micro-kernel. The driver is
// generic over the kernel type (a struct), so the JIT specialises it per variant and the kernel calls
// are direct: there is no per-tile virtual dispatch.
namespace ElmoNative.Kernels.Gemm;

/// <summary>A register-blocked micro-kernel computing one Mr x Nr tile of C from packed panels.</summary>
internal unsafe interface IMicroKernel
{
    /// <summary>Rows of C per tile (the height of a packed A panel).</summary>
    static abstract int Mr { get; }

    /// <summary>Columns of C per tile (the width of a packed B panel).</summary>
    static abstract int Nr { get; }

    /// <summary>The block sizes tuned for this kernel.</summary>
    static abstract GemmBlocking DefaultBlocking { get; }

    /// <summary>
    /// C[0..rows, 0..Nr) (=|+=) sum over p &lt; kc of a[p * Mr + r] * b[p * Nr + j]. a is a packed A panel
    /// (kc x Mr, of which the first <paramref name="rows"/> rows are used), b a packed B panel (kc x Nr).
    /// With <paramref name="accumulate"/> false, C is only written.
    /// </summary>
    static abstract void Tile(int rows, nint kc, float* a, float* b, float* c, nint ldc, bool accumulate);

    /// <summary>
    /// One row of C over two adjacent B panels: C[0, 0..2 Nr) (=|+=) the products of a (kc x Mr, row 0 used) with the
    /// panel b and the panel b + <paramref name="panelStride"/>. The same bits as two one-row <see cref="Tile"/> calls;
    /// a kernel may read the two panels side by side (two memory streams for a GEMV, which one stream does not
    /// saturate on every CPU).
    /// </summary>
    static abstract void TileRowPair(nint kc, float* a, float* b, nint panelStride, float* c, bool accumulate);
}

/// <summary>Cache block sizes of the GEMM driver: Kc (depth of a packed block), Mc (rows of a packed A
/// block), Nc (columns of a packed B block). Mc and Nc are rounded up to the kernel's Mr and Nr.</summary>
internal readonly record struct GemmBlocking(int Kc, int Mc, int Nc)
{
    /// <summary>Returns these sizes rounded to whole panels of the given kernel shape.</summary>
    public GemmBlocking RoundedTo(int mr, int nr) => new(
        Math.Max(1, Kc),
        Math.Max(mr, (Mc + mr - 1) / mr * mr),
        Math.Max(nr, (Nc + nr - 1) / nr * nr));
}
