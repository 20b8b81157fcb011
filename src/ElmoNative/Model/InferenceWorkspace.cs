using ElmoNative.Kernels;

namespace ElmoNative;

/// <summary>
/// Scratch memory of one inference call, kept between calls so that steady-state embedding does not allocate.
/// Each buffer grows to the largest size asked for and is reused; the buffers live in native memory, so a growth frees
/// the smaller block at once instead of leaving it to the garbage collector. One workspace serves one call at a time.
/// <para>
/// The token encoder and the LSTM never run at once on one workspace (a batch's tokens are encoded before its layers
/// run), so their largest buffers share one block (<see cref="EncoderScratch"/>, <see cref="LstmScratch"/>): 3.6 MB
/// per workspace for <c>original</c> (bench/README.md, "Memory of the streaming path").
/// </para>
/// </summary>
internal sealed class InferenceWorkspace : IDisposable
{
    private readonly NativeBuffer<int> charIds = new();
    private readonly NativeBuffer<float> shared = new(); // the encoder's or the LSTM's scratch, whichever phase runs
    private int lstmGatesOffset, lstmGatesLength;
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

    /// <summary>
    /// The LSTM's scratch for a layer pass, in the shared block: hidden, the output before projection [rows, H]
    /// (<paramref name="hiddenSize"/> floats), and the gate pre-activations x W_x + B of a run of steps of few rows
    /// (<paramref name="gatesSize"/> floats), which <see cref="LstmGates"/> gives until the next call. Returns hidden.
    /// </summary>
    public Span<float> LstmScratch(int hiddenSize, int gatesSize)
    {
        var block = shared.Get(hiddenSize + gatesSize);
        lstmGatesOffset = hiddenSize;
        lstmGatesLength = gatesSize;
        return block[..hiddenSize];
    }

    /// <summary>The gate pre-activations of the last <see cref="LstmScratch"/> (read by the threads of a step; no growth).</summary>
    public Span<float> LstmGates() => shared.Get(lstmGatesOffset + lstmGatesLength).Slice(lstmGatesOffset, lstmGatesLength);

    /// <summary>Rows of an LSTM step per column-block pass: 128 (a step's rows in the default internal batches of elmo embed).</summary>
    public const int DefaultLstmRowGroup = 128;

    /// <summary>Character ids of the tokens to encode [N, W].</summary>
    public Span<int> CharIds(int size) => charIds.Get(size);

    /// <summary>
    /// The token encoder's scratch for a chunk of tokens, in the shared block: [N, F] each (<paramref name="featureSize"/>
    /// floats) for the filter outputs / highway state, the highway gate and the candidate.
    /// </summary>
    public EncoderScratch EncoderScratch(int featureSize)
    {
        var block = shared.Get(3 * featureSize);
        return new EncoderScratch(block[..featureSize], block.Slice(featureSize, featureSize), block.Slice(2 * featureSize, featureSize));
    }

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

    /// <summary>Frees every buffer.</summary>
    public void Dispose()
    {
        charIds.Dispose();
        shared.Dispose();
        lstmInputRows.Dispose();
        lstmOutputRows.Dispose();
        foreach (var buffer in lstmBlockGates) buffer.Dispose();
    }
}

/// <summary>The token encoder's buffers for one chunk of tokens (<see cref="InferenceWorkspace.EncoderScratch"/>).</summary>
/// <param name="Filters">Filter outputs, then the highway state [N, F].</param>
/// <param name="Gate">Highway gate [N, F].</param>
/// <param name="Candidate">Highway candidate [N, F].</param>
internal readonly ref struct EncoderScratch(Span<float> Filters, Span<float> Gate, Span<float> Candidate)
{
    public Span<float> Filters { get; } = Filters;

    public Span<float> Gate { get; } = Gate;

    public Span<float> Candidate { get; } = Candidate;
}
