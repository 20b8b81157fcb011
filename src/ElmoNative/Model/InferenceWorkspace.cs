using ElmoNative.Kernels;

namespace ElmoNative;

/// <summary>
/// Scratch memory of one inference call, kept between calls so that steady-state embedding does not allocate.
/// Each buffer grows to the largest size asked for and is reused; the buffers live in native memory, so a growth frees
/// the smaller block at once instead of leaving it to the garbage collector. One workspace serves one call at a time.
/// </summary>
internal sealed class InferenceWorkspace : IDisposable
{
    private readonly NativeBuffer<int> charIds = new(), distinctPositions = new();
    private readonly NativeBuffer<float> embedded = new(), filters = new(), gate = new(), candidate = new();
    private readonly NativeBuffer<float> lstmGates = new(), lstmHidden = new();
    private readonly PackedRows lstmInputRows = new(), lstmOutputRows = new();
    private NativeBuffer<float>[] lstmBlockGates = [];

    /// <summary>
    /// Most rows of an LSTM step that go through one column block at a time (<see cref="DefaultLstmRowGroup"/>; tests vary
    /// it): a step with more rows is done in groups of rows, each group's packed input and block of gates kept in cache.
    /// </summary>
    public int LstmRowGroup { get; set; } = DefaultLstmRowGroup;

    /// <summary>
    /// Steps of fewer rows than this take x W_x + B from one GEMM over a run of such steps (up to this many rows), so
    /// that W_x streams once per run (<see cref="DefaultLstmFewRows"/>; tests vary it); larger steps compute it per
    /// column block. The chunk buffer holds this many rows of 4H gates.
    /// </summary>
    public int LstmFewRows { get; set; } = DefaultLstmFewRows;

    /// <summary>32 rows: 2 MB of gates at 4H = 16384 (original).</summary>
    public const int DefaultLstmFewRows = 32;

    /// <summary>LSTM gate pre-activations x W_x + B for a run of steps of few rows [rows, 4H].</summary>
    public Span<float> LstmGates(int size) => lstmGates.Get(size);

    /// <summary>Rows of an LSTM step per column-block pass: 128 (a step's rows in the default internal batches of elmo embed).</summary>
    public const int DefaultLstmRowGroup = 128;

    /// <summary>Character ids of the tokens to encode [N, W].</summary>
    public Span<int> CharIds(int size) => charIds.Get(size);

    /// <summary>Per token, the leading character positions that are not padding [N].</summary>
    public Span<int> DistinctPositions(int size) => distinctPositions.Get(size);

    /// <summary>Embedded characters [N, W, E].</summary>
    public Span<float> Embedded(int size) => embedded.Get(size);

    /// <summary>Filter outputs / highway state [N, F].</summary>
    public Span<float> Filters(int size) => filters.Get(size);

    /// <summary>Highway gate [N, F].</summary>
    public Span<float> Gate(int size) => gate.Get(size);

    /// <summary>Highway candidate [N, F].</summary>
    public Span<float> Candidate(int size) => candidate.Get(size);

    /// <summary>The rows x_t of an LSTM step packed for the column-block products.</summary>
    public PackedRows LstmInputRows => lstmInputRows;

    /// <summary>The rows m_{t-1} of an LSTM step packed for the column-block products.</summary>
    public PackedRows LstmOutputRows => lstmOutputRows;

    /// <summary>The gates of one column block of an LSTM step [rows, 4U], one buffer per part of the step (thread).</summary>
    public Span<float> LstmBlockGates(int part, int size)
    {
        if (part >= lstmBlockGates.Length)
        {
            var grown = new NativeBuffer<float>[part + 1];
            lstmBlockGates.CopyTo(grown, 0);
            for (int i = lstmBlockGates.Length; i < grown.Length; i++) grown[i] = new NativeBuffer<float>();
            lstmBlockGates = grown;
        }
        return lstmBlockGates[part].Get(size);
    }

    /// <summary>The column-block pass of the LSTM step running on this workspace (reused between steps).</summary>
    internal Layers.LstmBlockJob LstmBlockJob { get; } = new();

    /// <summary>LSTM output before projection [B, H].</summary>
    public Span<float> LstmHidden(int size) => lstmHidden.Get(size);

    /// <summary>Frees every buffer.</summary>
    public void Dispose()
    {
        charIds.Dispose();
        distinctPositions.Dispose();
        embedded.Dispose();
        filters.Dispose();
        gate.Dispose();
        candidate.Dispose();
        lstmGates.Dispose();
        lstmHidden.Dispose();
        lstmInputRows.Dispose();
        lstmOutputRows.Dispose();
        foreach (var buffer in lstmBlockGates) buffer.Dispose();
    }
}
