namespace ElmoNative.Kernels;

/// <summary>
/// A right-hand GEMM operand B [Rows, Columns] packed once (at model load) into the panel layout the
/// micro-kernel streams, so that repeated products with it skip the packing step.
/// </summary>
public sealed class PackedMatrix
{
    private readonly float[] source;

    private PackedMatrix(float[] source, int rows, int columns)
    {
        this.source = source;
        Rows = rows;
        Columns = columns;
    }

    /// <summary>Rows of B (the inner dimension k of the product).</summary>
    public int Rows { get; }

    /// <summary>Columns of B (n).</summary>
    public int Columns { get; }

    internal ReadOnlySpan<float> Source => source;

    /// <summary>Packs B [rows, columns] (row-major, row stride ldb) for use in <see cref="Sgemm.Multiply(int, ReadOnlySpan{float}, int, PackedMatrix, float, Span{float}, int)"/>.</summary>
    public static PackedMatrix Pack(ReadOnlySpan<float> b, int rows, int columns, int ldb)
    {
        var copy = new float[rows * columns];
        for (int r = 0; r < rows; r++)
            b.Slice(r * ldb, columns).CopyTo(copy.AsSpan(r * columns, columns));
        return new PackedMatrix(copy, rows, columns);
    }
}
