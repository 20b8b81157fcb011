// The cache-blocked GEMM loop nest (Goto/BLIS order) for one micro-kernel type:
//   for jc over N in Nc blocks:          packed B block (kc x nc) lives in L2/L3
//     for pc over K in Kc blocks:        pack B[pc, jc] (unless B is prepacked)
//       for ic over M in Mc blocks:      pack A[ic, pc] (mc x kc, scaled by alpha) -> L2
//         for jr over nc in Nr panels:   B micro-panel (kc x Nr) stays in L1
//           for ir over mc in Mr panels: micro-kernel on one Mr x Nr tile of C
// Tiles cut by the right edge of C go through a small stack tile; rows cut by the bottom edge use
// the kernel's narrower row kernels. The first K block stores into C (beta = 0, C never read) or
// adds to it (beta = 1; other betas pre-scale C).
using System.Runtime.CompilerServices;

namespace ElmoNative.Kernels.Gemm;

/// <summary>Single-threaded blocked GEMM over a sub-block of C, for one micro-kernel.</summary>
internal static unsafe class GemmDriver<TKernel>
    where TKernel : IMicroKernel
{
    /// <summary>Computes rows [i0, i1) and columns [j0, j1) of C (j0 a multiple of Nr when B is prepacked).</summary>
    public static void Run(in GemmArgs g, int i0, int i1, int j0, int j1)
    {
        if (i0 >= i1 || j0 >= j1) return;
        int mr = TKernel.Mr, nr = TKernel.Nr;
        GemmBlocking blocking = g.Blocking.RoundedTo(mr, nr);
        nint ldc = g.Ldc;

        if (g.Beta != 0f && g.Beta != 1f) ScaleC(g, i0, i1, j0, j1);

        GemmWorkspace workspace = GemmWorkspace.Current;
        int kcMax = Math.Min(blocking.Kc, g.K);
        float* aPack = workspace.PackA(blocking.Mc * kcMax);
        bool prepacked = g.PackedB != null;
        float* bPack = prepacked ? null : workspace.PackB(kcMax * blocking.Nc);
        float* edgeTile = stackalloc float[TKernel.Mr * TKernel.Nr];

        int ncStep = blocking.Nc;
        for (int jc = j0; jc < j1; jc += ncStep)
        {
            int nc = Math.Min(ncStep, j1 - jc);
            for (int pc = 0; pc < g.K; pc += blocking.Kc)
            {
                int kc = Math.Min(blocking.Kc, g.K - pc);
                float* bBlock;
                nint panelStride;
                if (prepacked)
                {
                    panelStride = (nint)g.K * nr;
                    bBlock = g.PackedB + (jc / nr) * panelStride + (nint)pc * nr;
                }
                else
                {
                    Packing.PackB<TKernel>(g.TransB, g.B, g.Ldb, pc, kc, jc, nc, bPack);
                    panelStride = (nint)kc * nr;
                    bBlock = bPack;
                }
                bool accumulate = pc > 0 || g.Beta != 0f;
                for (int ic = i0; ic < i1; ic += blocking.Mc)
                {
                    int mc = Math.Min(blocking.Mc, i1 - ic);
                    Packing.PackA<TKernel>(g, ic, mc, pc, kc, aPack);
                    MacroKernel(kc, mc, nc, aPack, bBlock, panelStride, g.C + ic * ldc + jc, ldc, accumulate, edgeTile);
                }
            }
        }
    }

    /// <summary>All tiles of one packed A block (mc x kc) times one packed B block (kc x nc).</summary>
    private static void MacroKernel(int kc, int mc, int nc, float* aPack, float* bBlock, nint panelStride,
        float* c, nint ldc, bool accumulate, float* edgeTile)
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        nint aPanelStride = (nint)kc * mr;
        for (int jr = 0; jr < nc; jr += nr)
        {
            int cols = Math.Min(nr, nc - jr);
            float* bp = bBlock + (jr / nr) * panelStride;
            float* ap = aPack;
            for (int ir = 0; ir < mc; ir += mr, ap += aPanelStride)
            {
                int rows = Math.Min(mr, mc - ir);
                float* cp = c + ir * ldc + jr;
                if (cols == nr)
                {
                    TKernel.Tile(rows, kc, ap, bp, cp, ldc, accumulate);
                }
                else
                {
                    TKernel.Tile(rows, kc, ap, bp, edgeTile, nr, accumulate: false);
                    MergeEdge(edgeTile, rows, cols, cp, ldc, accumulate);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void MergeEdge(float* tile, int rows, int cols, float* c, nint ldc, bool accumulate)
    {
        int nr = TKernel.Nr;
        for (int r = 0; r < rows; r++)
        {
            float* t = tile + (nint)r * nr;
            float* cr = c + r * ldc;
            if (accumulate)
                for (int j = 0; j < cols; j++) cr[j] += t[j];
            else
                for (int j = 0; j < cols; j++) cr[j] = t[j];
        }
    }

    private static void ScaleC(in GemmArgs g, int i0, int i1, int j0, int j1)
    {
        for (int i = i0; i < i1; i++)
        {
            var row = new Span<float>(g.C + i * g.Ldc + j0, j1 - j0);
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, g.Beta, row);
        }
    }
}
