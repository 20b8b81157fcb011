namespace ElmoNative;

/// <summary>
/// Scratch memory of one inference call, kept between calls so that steady-state embedding does not allocate.
/// Each buffer grows to the largest size asked for and is reused. One workspace serves one call at a time.
/// </summary>
internal sealed class InferenceWorkspace
{
    /// <summary>Rows per input-GEMM chunk of the LSTM (x W_x for several steps at once).</summary>
    public const int InputGemmRows = 256;

    private int[] charIds = [], distinctPositions = [];
    private float[] embedded = [], filters = [], gate = [], candidate = [], tokens = [];
    private float[] lstmGates = [], lstmHidden = [];

    /// <summary>Character ids of the tokens to encode [N, W].</summary>
    public Span<int> CharIds(int size) => Grow(ref charIds, size);

    /// <summary>Per token, the leading character positions that are not padding [N].</summary>
    public Span<int> DistinctPositions(int size) => Grow(ref distinctPositions, size);

    /// <summary>Embedded characters [N, W, E].</summary>
    public Span<float> Embedded(int size) => Grow(ref embedded, size);

    /// <summary>Filter outputs / highway state [N, F].</summary>
    public Span<float> Filters(int size) => Grow(ref filters, size);

    /// <summary>Highway gate [N, F].</summary>
    public Span<float> Gate(int size) => Grow(ref gate, size);

    /// <summary>Highway candidate [N, F].</summary>
    public Span<float> Candidate(int size) => Grow(ref candidate, size);

    /// <summary>Encoded tokens [N, P].</summary>
    public Span<float> Tokens(int size) => Grow(ref tokens, size);

    /// <summary>LSTM gate pre-activations for a chunk of steps [T', B, 4H].</summary>
    public Span<float> LstmGates(int size) => Grow(ref lstmGates, size);

    /// <summary>LSTM output before projection [B, H].</summary>
    public Span<float> LstmHidden(int size) => Grow(ref lstmHidden, size);

    /// <summary>Returns the first <paramref name="size"/> elements of <paramref name="buffer"/>, enlarging it first if needed.</summary>
    public static Span<T> Grow<T>(ref T[] buffer, int size)
    {
        if (buffer.Length < size) buffer = new T[Math.Max(size, buffer.Length + buffer.Length / 2)];
        return buffer.AsSpan(0, size);
    }
}
