namespace ElmoNative;

/// <summary>
/// The LSTM state carried from batch to batch in stateful mode (docs/model.md section 5), as bilm-tf and AllenNLP keep it:
/// for every direction and layer, the final (m, c) of each batch row. Row r of the next batch starts where row r of
/// this batch ended; an empty row (a sentence with no tokens) leaves its stored state alone; a wider batch starts its
/// new rows from zero; a narrower one leaves the rows past its width unchanged.
/// Not thread-safe: one state belongs to one stream of batches (calls using it are serialized).
/// Create with <see cref="ElmoModel.CreateState"/>.
/// </summary>
public sealed class ElmoState
{
    private readonly int layers, projectionDim, cellDim;
    private float[][] m, c; // index direction * layers + layer: [Rows, P] and [Rows, H]

    internal ElmoState(int layers, int projectionDim, int cellDim)
    {
        this.layers = layers;
        this.projectionDim = projectionDim;
        this.cellDim = cellDim;
        m = new float[2 * layers][];
        c = new float[2 * layers][];
        Reset();
    }

    /// <summary>Number of batch rows that have a stored state.</summary>
    public int Rows { get; private set; }

    /// <summary>Forgets all stored state: the next batch starts from zeros.</summary>
    public void Reset()
    {
        lock (this)
        {
            for (int i = 0; i < m.Length; i++)
            {
                m[i] = [];
                c[i] = [];
            }
            Rows = 0;
        }
    }

    /// <summary>Stored output m of one row [P] (for inspection and tests).</summary>
    public ReadOnlySpan<float> Output(int direction, int layer, int row) => m[direction * layers + layer].AsSpan(row * projectionDim, projectionDim);

    /// <summary>Stored cell c of one row [H].</summary>
    public ReadOnlySpan<float> Cell(int direction, int layer, int row) => c[direction * layers + layer].AsSpan(row * cellDim, cellDim);

    /// <summary>Copies the stored state of <paramref name="row"/> (zeros if none) into m0 [P] and c0 [H].</summary>
    internal void Load(int direction, int layer, int row, Span<float> m0, Span<float> c0)
    {
        if (row < Rows)
        {
            Output(direction, layer, row).CopyTo(m0);
            Cell(direction, layer, row).CopyTo(c0);
        }
        else
        {
            m0.Clear();
            c0.Clear();
        }
    }

    /// <summary>Stores the final state of <paramref name="row"/>, growing the table with zero rows if needed.</summary>
    internal void Store(int direction, int layer, int row, ReadOnlySpan<float> mFinal, ReadOnlySpan<float> cFinal)
    {
        if (row >= Rows) GrowTo(row + 1);
        int i = direction * layers + layer;
        mFinal.CopyTo(m[i].AsSpan(row * projectionDim, projectionDim));
        cFinal.CopyTo(c[i].AsSpan(row * cellDim, cellDim));
    }

    /// <summary>Makes room for rows 0 .. rows - 1 (new rows zero), so that the directions can then store concurrently.</summary>
    internal void EnsureRows(int rows)
    {
        if (rows > Rows) GrowTo(rows);
    }

    private void GrowTo(int rows)
    {
        for (int i = 0; i < m.Length; i++)
        {
            Array.Resize(ref m[i], rows * projectionDim);
            Array.Resize(ref c[i], rows * cellDim);
        }
        Rows = rows;
    }
}
