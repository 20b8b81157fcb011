// A GEMM right-hand operand packed once into the micro-kernel's panel layout: ceil(Columns / Nr)
// panels, each holding all Rows of Nr consecutive columns k-major (Rows x Nr, zero-padded on the right).
// The driver then streams any K block of a panel straight from here, skipping the per-call B packing.
// The layout depends on the SIMD variant (its Nr), which is therefore recorded with the data.
// The panels live in native memory (large ones 2 MB aligned, optionally on transparent huge pages): weights
// are the bulk of a model's memory, and outside the garbage-collected heap they cost no collections while a model
// loads and are returned to the system the moment the matrix is disposed.
using ElmoNative.Kernels.Gemm;
using ElmoNative.Kernels.Memory;
using ElmoNative.Kernels.Simd;

namespace ElmoNative.Kernels;

/// <summary>
/// A right-hand GEMM operand B [Rows, Columns] packed once (at model load) into the panel layout the
/// micro-kernel streams, so that repeated products with it skip the packing step. The panels are held in native
/// memory: <see cref="Dispose"/> frees them (a finalizer does so for a matrix that was never disposed). A matrix
/// must not be disposed while a product that uses it is still running.
/// </summary>
public sealed unsafe class PackedMatrix : IDisposable
{
    private float* panels;
    private readonly nuint bytes;

    private PackedMatrix(float* panels, nuint bytes, int rows, int columns, KernelSet kernels)
    {
        this.panels = panels;
        this.bytes = bytes;
        Rows = rows;
        Columns = columns;
        Kernels = kernels;
    }

    /// <summary>Rows of B (the inner dimension k of the product).</summary>
    public int Rows { get; }

    /// <summary>Columns of B (n).</summary>
    public int Columns { get; }

    /// <summary>
    /// Columns per packed panel (the micro-kernel's tile width): a product over a column range
    /// (<see cref="Sgemm.Multiply(PackedRows, PackedMatrix, int, int, float, Span{float}, int)"/>) starts at a multiple of it.
    /// </summary>
    public int PanelWidth => Kernels.Nr;

    /// <summary>
    /// A new matrix whose column j is this matrix's column <paramref name="columnOrder"/>[j] (a permutation of the
    /// columns), packed for the same micro-kernel; the values are copied, not recomputed, so products with it give the
    /// same bits in the new places. This matrix is left as it is (dispose it if it is no longer needed).
    /// </summary>
    /// <param name="columnOrder">Columns values: for each new column, the old column it takes (each old column once).</param>
    public PackedMatrix WithColumnOrder(ReadOnlySpan<int> columnOrder)
    {
        CheckPermutation(columnOrder, Columns);
        var result = Allocate(Kernels, Rows, Columns);
        int nr = Kernels.Nr, panels = (Columns + nr - 1) / nr;
        int[] order = columnOrder.ToArray();
        nint source = (nint)Panels, target = (nint)result.Panels;
        // Matrices of a megabyte or more are split by panels over the threads (each target panel written by one).
        int parts = (long)Rows * Columns >= Builder.ParallelFloats ? Math.Min(KernelSettings.ThreadsForCurrentThread, panels) : 1;
        ParallelParts.For(parts, parts, part =>
            CopyColumns((float*)source, (float*)target, order, (int)((long)panels * part / parts), (int)((long)panels * (part + 1) / parts)));
        GC.KeepAlive(this);
        return result;
    }

    /// <summary>Throws unless <paramref name="columnOrder"/> lists each of 0 .. <paramref name="columns"/> - 1 once.</summary>
    private static void CheckPermutation(ReadOnlySpan<int> columnOrder, int columns)
    {
        if (columnOrder.Length != columns)
            throw new ArgumentException($"The order lists {columnOrder.Length} columns, the matrix has {columns}.", nameof(columnOrder));
        var seen = new bool[columns];
        foreach (int column in columnOrder)
        {
            if ((uint)column >= (uint)columns || seen[column])
                throw new ArgumentException($"The order is not a permutation of 0 .. {columns - 1} (column {column}).", nameof(columnOrder));
            seen[column] = true;
        }
    }

    /// <summary>Target panels first .. last - 1 of <see cref="WithColumnOrder"/>: column j of target = column order[j] of source.</summary>
    private void CopyColumns(float* source, float* target, int[] order, int first, int last)
    {
        // Column j sits in panel j / nr at offset j % nr of every row of the panel (rows x nr, k-major). Each target
        // panel is written row after row from the rows of the (few) source panels its columns come from; the padding
        // columns of the last panel are zero.
        int nr = Kernels.Nr, rows = Rows;
        Span<long> from = nr <= 64 ? stackalloc long[nr] : new long[nr];
        for (int panel = first; panel < last; panel++)
        {
            int cols = Math.Min(nr, Columns - panel * nr);
            for (int c = 0; c < cols; c++)
            {
                int column = order[panel * nr + c];
                from[c] = (long)(column / nr) * rows * nr + column % nr;
            }
            float* dst = target + (long)panel * rows * nr;
            for (int k = 0; k < rows; k++, dst += nr)
            {
                long rowOffset = (long)k * nr;
                for (int c = 0; c < cols; c++) dst[c] = source[from[c] + rowOffset];
                for (int c = cols; c < nr; c++) dst[c] = 0f;
            }
        }
    }

    /// <summary>The kernel set whose micro-kernel layout the panels are in (products with this matrix run on it).</summary>
    internal KernelSet Kernels { get; }

    /// <summary>The SIMD variant of <see cref="Kernels"/>.</summary>
    internal SimdVariant Variant => Kernels.Variant;

    /// <summary>Start of the first panel (64-byte aligned native memory).</summary>
    internal float* Panels
    {
        get
        {
            ObjectDisposedException.ThrowIf(panels == null, this);
            return panels;
        }
    }

    /// <summary>
    /// <paramref name="length"/> packed values from value <paramref name="start"/>, in the micro-kernel's panel layout
    /// (for tests and diagnostics, so that code outside the kernels needs no pointers).
    /// </summary>
    internal ReadOnlySpan<float> PanelValues(long start, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan((start + length) * sizeof(float), SizeInBytes, nameof(length));
        return new ReadOnlySpan<float>(Panels + start, length);
    }

    /// <summary>Whether the panels start on an <see cref="AlignedMemory.Alignment"/> boundary.</summary>
    internal bool IsAligned => (nuint)Panels % AlignedMemory.Alignment == 0;

    /// <summary>Bytes of native memory the panels occupy.</summary>
    public long SizeInBytes => (long)bytes;

    /// <summary>Frees the panels; the matrix cannot be used afterwards.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the panels of a matrix that was never disposed.</summary>
    ~PackedMatrix() => Free();

    private void Free()
    {
        float* p = panels;
        panels = null;
        AlignedMemory.Free(p, bytes);
    }

    /// <summary>Packs B [rows, columns] (row-major, row stride ldb) for use in <see cref="Sgemm.Multiply(int, ReadOnlySpan{float}, int, PackedMatrix, float, Span{float}, int)"/>.</summary>
    public static PackedMatrix Pack(ReadOnlySpan<float> b, int rows, int columns, int ldb)
        => Pack(KernelSet.Current.Variant, Transpose.No, b, rows, columns, ldb);

    /// <summary>
    /// Packs op(B) [rows, columns]: with <paramref name="transB"/> = <see cref="Transpose.Yes"/>, b holds the
    /// transpose, [columns, rows] with row stride ldb (e.g. a weight stored output-major).
    /// </summary>
    /// <param name="transB">Whether b is stored transposed.</param>
    /// <param name="b">The values as stored.</param>
    /// <param name="rows">Rows of op(B) (the inner dimension k).</param>
    /// <param name="columns">Columns of op(B) (n).</param>
    /// <param name="ldb">Row stride of b as stored.</param>
    public static PackedMatrix Pack(Transpose transB, ReadOnlySpan<float> b, int rows, int columns, int ldb)
        => Pack(KernelSet.Current.Variant, transB, b, rows, columns, ldb);

    /// <summary>Packs op(B) for an explicit variant's micro-kernel.</summary>
    internal static PackedMatrix Pack(SimdVariant variant, Transpose transB, ReadOnlySpan<float> b, int rows, int columns, int ldb)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        ArgumentOutOfRangeException.ThrowIfNegative(ldb);
        bool stored = transB == Transpose.No;
        Sgemm.CheckOperand(nameof(b), b.Length, stored ? rows : columns, stored ? columns : rows, ldb, true);
        var packed = Allocate(KernelSet.For(variant), rows, columns);
        fixed (float* pb = b)
        {
            if (rows > 0 && columns > 0) packed.Kernels.PackB(transB, pb, ldb, 0, rows, 0, columns, packed.Panels);
        }
        return packed;
    }

    /// <summary>Uninitialized native storage for rows x columns in panels of nr columns, 64-byte aligned.</summary>
    private static PackedMatrix Allocate(KernelSet kernels, int rows, int columns)
    {
        int nr = kernels.Nr;
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        long length = (long)rows * ((columns + nr - 1) / nr * nr);
        if (length > Array.MaxLength) throw new ArgumentException("The matrix is too large to pack.");
        nuint bytes = (nuint)length * sizeof(float);
        return new PackedMatrix((float*)AlignedMemory.AllocateLarge(bytes), bytes, rows, columns, kernels);
    }

    /// <summary>
    /// Starts packing B [rows, columns] from consecutive blocks of its rows, so that a large matrix read piece by piece
    /// (e.g. from a file) is packed without ever being whole in memory. The result equals <see cref="Pack(ReadOnlySpan{float}, int, int, int)"/>.
    /// </summary>
    /// <param name="rows">Rows of B (the inner dimension k).</param>
    /// <param name="columns">Columns of B (n).</param>
    public static Builder CreateBuilder(int rows, int columns) => new(KernelSet.Current.Variant, rows, columns, null);

    /// <summary>
    /// A builder whose matrix has its columns in <paramref name="columnOrder"/>: column j of the packed matrix is column
    /// <paramref name="columnOrder"/>[j] of the rows appended (a permutation). The same values as packing first and
    /// then <see cref="WithColumnOrder"/>, without the second copy. Panels whose columns come from one run of
    /// consecutive source columns (e.g. blocks of gates whose width is a multiple of <see cref="PanelWidth"/>) are packed
    /// as fast as in order; the others are gathered column by column.
    /// </summary>
    /// <param name="rows">Rows of B (the inner dimension k).</param>
    /// <param name="columns">Columns of B (n).</param>
    /// <param name="columnOrder">For each packed column, the column of the appended rows it takes (each once).</param>
    public static Builder CreateBuilder(int rows, int columns, ReadOnlySpan<int> columnOrder)
    {
        CheckPermutation(columnOrder, columns);
        return new(KernelSet.Current.Variant, rows, columns, columnOrder.ToArray());
    }

    /// <summary>Builder for an explicit variant's micro-kernel (and optionally a column order, checked by the caller).</summary>
    internal static Builder CreateBuilder(SimdVariant variant, int rows, int columns, int[]? columnOrder = null) => new(variant, rows, columns, columnOrder);

    /// <summary>The panel width <see cref="CreateBuilder(int, int)"/> packs for on this machine.</summary>
    public static int CurrentPanelWidth => KernelSet.Current.Nr;

    /// <summary>Packs a <see cref="PackedMatrix"/> from consecutive row blocks of B, first row first.</summary>
    public sealed class Builder
    {
        private readonly PackedMatrix target;
        /// <summary>Blocks of at least this many values are packed on all the threads the caller may use.</summary>
        internal const long ParallelFloats = 1 << 18;

        private readonly int nr;
        private bool built;
        private float* pendingBlock; // the block being packed (pinned by AppendRows), its rows and stride, for the parts
        private int pendingRows, pendingLdb;
        private int parts;
        private Action<int>? packPart;

        private readonly int[]? columnOrder;
        private readonly int[]? panelSources; // per panel: its first source column if its columns are one run, else -1

        internal Builder(SimdVariant variant, int rows, int columns, int[]? columnOrder)
        {
            target = Allocate(KernelSet.For(variant), rows, columns);
            nr = target.Kernels.Nr;
            if (columnOrder is null) return;
            this.columnOrder = columnOrder;
            panelSources = new int[(columns + nr - 1) / nr];
            for (int panel = 0; panel < panelSources.Length; panel++)
            {
                int j0 = panel * nr, cols = Math.Min(nr, columns - j0), first = columnOrder[j0];
                bool run = first + cols <= columns;
                for (int c = 1; c < cols && run; c++) run = columnOrder[j0 + c] == first + c;
                panelSources[panel] = run ? first : -1;
            }
        }

        /// <summary>Rows of B packed so far.</summary>
        public int RowsPacked { get; private set; }

        /// <summary>Packs the next <paramref name="blockRows"/> rows of B, given row-major with row stride <paramref name="ldb"/>.</summary>
        /// <param name="block">The rows RowsPacked .. RowsPacked + blockRows - 1 of B.</param>
        /// <param name="blockRows">Number of rows in the block.</param>
        /// <param name="ldb">Row stride of the block (at least the number of columns).</param>
        public void AppendRows(ReadOnlySpan<float> block, int blockRows, int ldb)
        {
            ObjectDisposedException.ThrowIf(built, this);
            ArgumentOutOfRangeException.ThrowIfNegative(blockRows);
            ArgumentOutOfRangeException.ThrowIfNegative(ldb);
            if (blockRows > target.Rows - RowsPacked)
                throw new ArgumentException($"{blockRows} rows do not fit: {RowsPacked} of {target.Rows} are packed already.", nameof(blockRows));
            Sgemm.CheckOperand(nameof(block), block.Length, blockRows, target.Columns, ldb, true);
            if (blockRows > 0 && target.Columns > 0)
            {
                fixed (float* pb = block)
                {
                    // Blocks of a megabyte or more are split by panels over the threads (each panel is written by one).
                    int panels = (target.Columns + nr - 1) / nr;
                    pendingBlock = pb;
                    pendingRows = blockRows;
                    pendingLdb = ldb;
                    parts = (long)blockRows * target.Columns >= ParallelFloats ? Math.Min(KernelSettings.ThreadsForCurrentThread, panels) : 1;
                    if (parts <= 1) PackPart(0);
                    else ParallelParts.For(parts, parts, packPart ??= PackPart);
                }
            }
            RowsPacked += blockRows;
        }

        /// <summary>The packed matrix, once every row has been appended.</summary>
        public PackedMatrix Build()
        {
            if (RowsPacked != target.Rows)
                throw new InvalidOperationException($"Only {RowsPacked} of {target.Rows} rows were appended.");
            built = true;
            return target;
        }

        /// <summary>Packs part <paramref name="part"/> of <see cref="parts"/> of the panels from the pending block.</summary>
        private void PackPart(int part)
        {
            int panels = (target.Columns + nr - 1) / nr;
            int first = (int)((long)panels * part / parts), last = (int)((long)panels * (part + 1) / parts);
            // Panel j holds rows 0 .. Rows - 1 of columns j*nr .. j*nr + nr - 1, k-major: the block's rows go to
            // rows RowsPacked .. of every panel, each panel packed on its own (PackB's panel stride is its kc).
            float* pb = pendingBlock;
            int blockRows = pendingRows, ldb = pendingLdb;
            float* panelsStart = target.Panels;
            for (int panel = first; panel < last; panel++)
            {
                int j0 = panel * nr, cols = Math.Min(nr, target.Columns - j0);
                float* dst = panelsStart + ((long)panel * target.Rows + RowsPacked) * nr;
                int source = panelSources is null ? j0 : panelSources[panel];
                if (source >= 0) target.Kernels.PackB(Transpose.No, pb, ldb, 0, blockRows, source, cols, dst);
                else GatherPanel(pb, blockRows, ldb, j0, cols, dst);
            }
        }

        /// <summary>A panel whose columns are not one run: row by row, each column from where the order takes it.</summary>
        private void GatherPanel(float* block, int blockRows, int ldb, int j0, int cols, float* dst)
        {
            int[] order = columnOrder!;
            for (int k = 0; k < blockRows; k++, dst += nr)
            {
                float* row = block + (long)k * ldb;
                for (int c = 0; c < cols; c++) dst[c] = row[order[j0 + c]];
                for (int c = cols; c < nr; c++) dst[c] = 0f;
            }
        }
    }
}
