// The cache-blocked GEMM loop nest (Goto/BLIS order) for one micro-kernel type:
//   for jc over N in Nc blocks:          packed B block (kc x nc) lives in L2/L3
//     for pc over K in Kc blocks:        pack B[pc, jc] (unless B is prepacked)
//       for ic over M in Mc blocks:      pack A[ic, pc] (mc x kc, scaled by alpha) -> L2
//         for jr over nc in Nr panels:   B micro-panel (kc x Nr) stays in L1
//           for ir over mc in Mr panels: micro-kernel on one Mr x Nr tile of C
// Tiles cut by the right edge of C go through a small stack tile; rows cut by the bottom edge use
// the kernel's narrower row kernels (a short remainder shared out with the last full panel:
// Packing.PanelRows). The first K block stores into C (beta = 0, C never read) or adds to it
// (beta = 1; other betas pre-scale C).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace ElmoNative.Kernels.Gemm;

/// <summary>Switches of the driver for tests and probes.</summary>
internal static class GemmDriverSettings
{
    /// <summary>Whether prepacked products with few rows stream each B panel whole (default); false forces the general loop order.</summary>
    public static bool FewRowsPath { get; set; } = true;
}

/// <summary>Single-threaded blocked GEMM over a sub-block of C, for one micro-kernel.</summary>
internal static unsafe class GemmDriver<TKernel>
    where TKernel : IMicroKernel
{
    /// <summary>Computes rows [i0, i1) and columns [j0, j1) of C (j0 a multiple of Nr when B is prepacked).</summary>
    public static void Run(in GemmArgs g, int i0, int i1, int j0, int j1)
    {
        if (i0 >= i1 || j0 >= j1) return;
        var workspace = GemmWorkspace.Rent();
        try
        {
            RunIn(g, i0, i1, j0, j1, workspace);
        }
        finally
        {
            GemmWorkspace.Return(workspace);
        }
    }

    private static void RunIn(in GemmArgs g, int i0, int i1, int j0, int j1, GemmWorkspace workspace)
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        GemmBlocking blocking = g.Blocking.RoundedTo(mr, nr);
        nint ldc = g.Ldc;

        if (g.Beta != 0f && g.Beta != 1f) ScaleC(g, i0, i1, j0, j1);

        bool prepacked = g.PackedB != null;
        if (prepacked && GemmDriverSettings.FewRowsPath && IsFewRows(i1 - i0, g.K, blocking))
        {
            RunFewRows(g, i0, i1, j0, j1, blocking, workspace);
            return;
        }
        int kcMax = Math.Min(blocking.Kc, g.K);
        float* aPack = workspace.PackA(blocking.Mc * kcMax);
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

    /// <summary>Most floats of packed A for which <see cref="RunFewRows"/> packs every K block at once (256 KB, half an L2).</summary>
    private const int FewRowsPackedA = 1 << 16;

    /// <summary>Whether rows x k of A are few enough to be packed whole (e.g. a recurrent step: 1 to a few dozen rows).</summary>
    private static bool IsFewRows(int rows, int k, GemmBlocking blocking)
        => rows <= blocking.Mc && (long)(rows + TKernel.Mr - 1) / TKernel.Mr * TKernel.Mr * k <= FewRowsPackedA;

    /// <summary>
    /// A prepacked product with few rows (the recurrent GEMM of an LSTM step), which is bound by streaming B from memory:
    /// A is packed once for every K block, then each B panel is read from start to end (all its K blocks in a row), so that
    /// B streams through memory strictly in order instead of in Kc-sized pieces a panel apart. Every element of C still
    /// receives the same K blocks in the same order (the first stores or adds to beta-scaled C, the next ones add), so the
    /// bits equal <see cref="Run"/>'s general loop order.
    /// </summary>
    private static void RunFewRows(in GemmArgs g, int i0, int i1, int j0, int j1, GemmBlocking blocking, GemmWorkspace workspace)
    {
        int mc = i1 - i0;
        float* aPack = workspace.PackA(PackedRowsLength(mc, g.K));
        PackRows(g, i0, mc, blocking.Kc, aPack);
        RunPackedRows(g, aPack, mc, blocking.Kc, j0, j1, g.C + i0 * g.Ldc + j0);
    }

    /// <summary>Floats of rows x k of A packed for every K block at once (<see cref="PackRows"/>).</summary>
    public static int PackedRowsLength(int rows, int k) => (rows + TKernel.Mr - 1) / TKernel.Mr * TKernel.Mr * k;

    /// <summary>
    /// Packs rows i0 .. i0 + mc - 1 of op(A) (times alpha) for every K block of depth kcStep into aPack: block pc
    /// (ceil(mc / Mr) panels of kc x Mr) at aPack + rowsPacked * pc, as <see cref="RunPackedRows"/> reads them.
    /// </summary>
    public static void PackRows(in GemmArgs g, int i0, int mc, int kcStep, float* aPack)
    {
        int mr = TKernel.Mr, rowsPacked = (mc + mr - 1) / mr * mr;
        for (int pc = 0; pc < g.K; pc += kcStep)
            Packing.PackA<TKernel>(g, i0, mc, pc, Math.Min(kcStep, g.K - pc), aPack + (nint)rowsPacked * pc);
    }

    /// <summary>Floats per 64-byte cache line.</summary>
    private const int FloatsPerLine = 16;

    /// <summary>
    /// The few-rows loop order on A packed by <see cref="PackRows"/> (mc rows, K blocks of kcStep): columns j0 .. j1 - 1
    /// of the prepacked B (j0 a multiple of Nr) into c, whose column 0 is B's column j0 and whose row 0 is A's first
    /// packed row (row stride g.Ldc). Each B panel is read from start to end, all its K blocks in a row (a single row reads
    /// two panels at a time, side by side: <see cref="IMicroKernel.TileRowPair"/>); every element
    /// of C receives the same K blocks in the same order as in <see cref="Run"/> (the first stores or adds to beta-scaled
    /// C, the next ones add). A beta other than 0 and 1 must have been applied to C already.
    /// </summary>
    public static void RunPackedRows(in GemmArgs g, float* aPack, int mc, int kcStep, int j0, int j1, float* c)
    {
        int mr = TKernel.Mr, nr = TKernel.Nr;
        int rowsPacked = (mc + mr - 1) / mr * mr;
        float* edgeTile = stackalloc float[TKernel.Mr * TKernel.Nr];
        nint ldc = g.Ldc, panelStride = (nint)g.K * nr;
        int jr = j0, tiles = (mc + mr - 1) / mr;
        if (mc == 1)
        {
            // A GEMV: the full panels two at a time, side by side (TileRowPair), the rest below.
            for (; jr + 2 * nr <= j1; jr += 2 * nr)
            {
                float* panel = g.PackedB + (jr / nr) * panelStride;
                for (int pc = 0; pc < g.K; pc += kcStep)
                    TKernel.TileRowPair(Math.Min(kcStep, g.K - pc), aPack + (nint)rowsPacked * pc, panel + (nint)pc * nr,
                        panelStride, c + (jr - j0), accumulate: pc > 0 || g.Beta != 0f);
            }
        }
        for (; jr < j1; jr += nr)
        {
            int cols = Math.Min(nr, j1 - jr);
            float* panel = g.PackedB + (jr / nr) * panelStride;
            for (int pc = 0; pc < g.K; pc += kcStep)
            {
                int kc = Math.Min(kcStep, g.K - pc);
                bool accumulate = pc > 0 || g.Beta != 0f;
                float* bp = panel + (nint)pc * nr;
                float* ap = aPack + (nint)rowsPacked * pc;
                // With several tiles, the next block of B in memory (this panel's next K block or the next panel's first) is
                // asked for into L2, a share before each tile, so that the next block's first tile does not stream it from
                // memory at one core's stream rate while the others find it in cache (bench/README.md, "AVX2 on a Zen 3").
                float* next = bp + (nint)kc * nr;
                nint linesPerTile = Sse.IsSupported && mc > mr ? ((nint)kc * nr / FloatsPerLine + tiles - 1) / tiles : 0;
                for (int ir = 0, rows; ir < mc; ir += rows, ap += (nint)kc * mr)
                {
                    rows = Packing.PanelRows<TKernel>(mc, ir);
                    float* cp = c + ir * ldc + (jr - j0);
                    for (nint line = 0; line < linesPerTile; line++, next += FloatsPerLine) Sse.Prefetch1(next);
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
            for (int ir = 0, rows; ir < mc; ir += rows, ap += aPanelStride)
            {
                rows = Packing.PanelRows<TKernel>(mc, ir);
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
            VectorOps.Scale(row, g.Beta); // element-wise: the same bits on every variant
        }
    }
}
