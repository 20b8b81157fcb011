using ElmoNative.Kernels;

namespace ElmoNative;

/// <summary>
/// Scratch memory of one inference call, kept between calls so that steady-state embedding does not allocate.
/// Each buffer grows to the largest size asked for and is reused; the buffers live in native memory, so a growth frees
/// the smaller block at once instead of leaving it to the garbage collector. One workspace serves one call at a time.
/// </summary>
internal sealed class InferenceWorkspace : IDisposable
{
    /// <summary>
    /// Floats of LSTM gate pre-activations computed per input-GEMM chunk (x W_x + B for several steps at once): 4 MB,
    /// i.e. 256 rows at 4H = 4096 (small), 64 rows at 4H = 16384 (original).
    /// </summary>
    public const int DefaultGateChunkFloats = 1 << 20;

    private readonly NativeBuffer<int> charIds = new(), distinctPositions = new();
    private readonly NativeBuffer<float> embedded = new(), filters = new(), gate = new(), candidate = new(), tokens = new();
    private readonly NativeBuffer<float> lstmGates = new(), lstmHidden = new();

    /// <summary>Floats of gate pre-activations per input-GEMM chunk (<see cref="DefaultGateChunkFloats"/>; tests vary it).</summary>
    public int GateChunkFloats { get; set; } = DefaultGateChunkFloats;

    /// <summary>Rows per input-GEMM chunk for gate rows of <paramref name="gates"/> floats (at least one).</summary>
    public int ChunkRows(int gates) => Math.Max(1, GateChunkFloats / Math.Max(1, gates));

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

    /// <summary>Encoded tokens [N, P].</summary>
    public Span<float> Tokens(int size) => tokens.Get(size);

    /// <summary>LSTM gate pre-activations for a chunk of steps [T', B, 4H].</summary>
    public Span<float> LstmGates(int size) => lstmGates.Get(size);

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
        tokens.Dispose();
        lstmGates.Dispose();
        lstmHidden.Dispose();
    }
}
