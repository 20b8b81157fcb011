using ElmoNative.Kernels;

namespace ElmoNative.Parameters;

/// <summary>
/// One weight tensor of a layer (a matrix [Rows, Columns] or a vector [1, Columns]) in the form its mode needs:
/// <list type="bullet">
/// <item>inference: read once from a checkpoint, a matrix packed for the GEMM, a vector kept as an array;</item>
/// <item>training: a named view of the parameter block and of the gradient block (the optimizer changes the values in
/// place between calls; backward adds into the gradient).</item>
/// </list>
/// Layers multiply by a weight only through <see cref="Multiply(int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>, so each mode keeps its own exact arithmetic (the
/// packed and the plain GEMM may round differently); backward passes, which only training runs, read
/// <see cref="Values"/> and add into <see cref="Gradient"/>.
/// </summary>
internal sealed class Weight : IDisposable
{
    private readonly PackedMatrix? packed;
    private readonly float[]? values, gradients; // an array of its own (inference) or a whole block (training)
    private readonly int offset;

    private Weight(PackedMatrix? packed, float[]? values, float[]? gradients, int offset, int rows, int columns)
    {
        this.packed = packed;
        this.values = values;
        this.gradients = gradients;
        this.offset = offset;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>A matrix packed for the GEMM (inference).</summary>
    public static Weight Packed(PackedMatrix matrix) => new(matrix, null, null, 0, matrix.Rows, matrix.Columns);

    /// <summary>A tensor kept as it was read, flat (1 x length) (inference).</summary>
    public static Weight Plain(float[] values) => new(null, values, null, 0, 1, values.Length);

    /// <summary>
    /// Rows <paramref name="firstRow"/> .. firstRow + rows - 1 of <paramref name="tensor"/> read as [R, columns], in
    /// <paramref name="parameters"/>, with its gradient in <paramref name="gradients"/> (training).
    /// </summary>
    public static Weight View(ParameterSet parameters, ParameterSet? gradients, ParameterTensor tensor, int firstRow, int rows, int columns)
    {
        if (firstRow < 0 || rows < 0 || (firstRow + rows) * columns > tensor.Length)
            throw new ArgumentOutOfRangeException(nameof(rows), $"rows {firstRow} .. {firstRow + rows - 1} of {columns} columns are outside {tensor.Name} ({tensor.Length} values)");
        return new(null, parameters.Data, gradients?.Data, tensor.Offset + firstRow * columns, rows, columns);
    }

    /// <summary>Rows (In of a matrix; 1 for a vector).</summary>
    public int Rows { get; }

    /// <summary>Columns (Out).</summary>
    public int Columns { get; }

    /// <summary>The values, row-major [Rows, Columns] (not for a packed matrix).</summary>
    public ReadOnlySpan<float> Values => values is null
        ? throw new InvalidOperationException("a packed weight is only multiplied by")
        : values.AsSpan(offset, Rows * Columns);

    /// <summary>dL/dW, laid out as <see cref="Values"/> (training only).</summary>
    public Span<float> Gradient => gradients is null
        ? throw new InvalidOperationException("this weight has no gradient (inference)")
        : gradients.AsSpan(offset, Rows * Columns);

    /// <summary>y [m, Columns] (row stride ldy) = x [m, Rows] (row stride ldx) W + beta y, on the calling thread's thread budget.</summary>
    public void Multiply(int m, ReadOnlySpan<float> x, int ldx, float beta, Span<float> y, int ldy)
    {
        if (packed is not null) Sgemm.Multiply(m, x, ldx, packed, beta, y, ldy);
        else Sgemm.Multiply(Transpose.No, Transpose.No, m, Columns, Rows, 1f, x, ldx, Values, Columns, beta, y, ldy);
    }

    /// <summary>
    /// Columns per panel of a packed matrix: a product over a column range (<see cref="Multiply(PackedRows, int, int, float, Span{float}, int)"/>)
    /// starts at a multiple of it.
    /// </summary>
    public int PanelWidth => packed?.PanelWidth ?? throw new InvalidOperationException("only a packed weight has panels");

    /// <summary>
    /// Inference: columns <paramref name="firstColumn"/> .. firstColumn + columns - 1 of x W, with x packed by
    /// <see cref="PackedRows"/>, into y [x.Rows, columns] (row stride ldy) + beta y; the same bits as those columns of
    /// <see cref="Multiply(int, ReadOnlySpan{float}, int, float, Span{float}, int)"/>.
    /// </summary>
    public void Multiply(PackedRows x, int firstColumn, int columns, float beta, Span<float> y, int ldy)
    {
        if (packed is null) throw new InvalidOperationException("a column range is multiplied only by a packed weight");
        Sgemm.Multiply(x, packed, firstColumn, columns, beta, y, ldy);
    }

    /// <summary>
    /// Inference: this vector (a bias) with its entries reordered, entry j taking entry <paramref name="columnOrder"/>[j]
    /// (a copy). Packed matrices take their order as they are packed (<see cref="LayerWeights.Matrix(string, int, int, int[])"/>);
    /// training weights keep their layout.
    /// </summary>
    public Weight WithColumnOrder(ReadOnlySpan<int> columnOrder)
    {
        if (gradients is not null || values is null || offset != 0 || Rows != 1 || values.Length != Columns)
            throw new InvalidOperationException("only inference weights are reordered");
        if (columnOrder.Length != Columns) throw new ArgumentException($"The order lists {columnOrder.Length} columns, the vector has {Columns}.", nameof(columnOrder));
        var result = new float[Columns];
        for (int j = 0; j < Columns; j++) result[j] = values[columnOrder[j]];
        return Plain(result);
    }

    /// <summary>Frees the packed matrix (native memory); views and arrays hold nothing.</summary>
    public void Dispose() => packed?.Dispose();
}
