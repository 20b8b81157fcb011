namespace ElmoNative.Training.Optimization;

/// <summary>
/// The set of rows of a [V, P] table (the softmax) that a step gave a gradient, in the order they were first added:
/// a stamp per row makes Add and Clear O(1), so the optimizer can visit only these rows. No allocation after construction.
/// </summary>
internal sealed class TouchedRows
{
    private readonly int[] stamp;
    private readonly int[] rows;
    private int current = 1;

    public TouchedRows(int capacity)
    {
        stamp = new int[capacity];
        rows = new int[capacity];
    }

    /// <summary>Rows added since the last <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>The rows, in the order they were first added.</summary>
    public ReadOnlySpan<int> Rows => rows.AsSpan(0, Count);

    /// <summary>Forgets every row.</summary>
    public void Clear()
    {
        Count = 0;
        if (++current == int.MaxValue)
        {
            Array.Clear(stamp);
            current = 1;
        }
    }

    /// <summary>Adds row r (nothing if it is in the set already).</summary>
    public void Add(int r)
    {
        if (stamp[r] == current) return;
        stamp[r] = current;
        rows[Count++] = r;
    }

    /// <summary>Makes this set equal to <paramref name="other"/> (same rows, same order).</summary>
    public void CopyFrom(TouchedRows other)
    {
        Clear();
        foreach (int r in other.Rows) Add(r);
    }
}
