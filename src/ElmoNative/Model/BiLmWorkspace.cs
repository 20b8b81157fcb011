namespace ElmoNative;

/// <summary>Scratch memory of one biLM forward call over a batch, reused between calls.</summary>
internal sealed class BiLmWorkspace
{
    private int[] order = [], steps = [], active = [], offsets = [], tokenRows = [], batchCharIds = [], missing = [], missingCharIds = [];
    private float[] fresh = [];
    private long[] sortKeys = [];
    private readonly float[][] inputs = [[], []];
    private readonly float[][] stateM = [[], []], stateC = [[], []];
    private readonly InferenceWorkspace backward = new();
    private float[][][] layerOutputs = [[], []];

    public InferenceWorkspace Inference { get; } = new();

    /// <summary>The scratch memory of direction d's LSTM layers (direction 0 shares <see cref="Inference"/>).</summary>
    public InferenceWorkspace Direction(int direction) => direction == 0 ? Inference : backward;

    /// <summary>The current call, for the direction workers: its state (null: stateless), rows, steps and thread budget.</summary>
    public ElmoState? State { get; set; }

    public int Batch { get; set; }

    public int MaxSteps { get; set; }

    public int Threads { get; set; }

    /// <summary>The per-direction body handed to the fork-join (created once per workspace).</summary>
    public Action<int>? DirectionBody { get; set; }

    /// <summary>The distinct tokens of the current batch and their row in the encoded block.</summary>
    public Dictionary<string, int> DistinctTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Sort keys of the rows (length, then position) [B].</summary>
    public Span<long> SortKeys(int size) => InferenceWorkspace.Grow(ref sortKeys, size);

    public Span<int> Order(int size) => InferenceWorkspace.Grow(ref order, size);

    public Span<int> Steps(int size) => InferenceWorkspace.Grow(ref steps, size);

    public Span<int> Active(int size) => InferenceWorkspace.Grow(ref active, size);

    /// <summary>Packed layout: step t holds rows offsets[t] .. offsets[t + 1] - 1.</summary>
    public Span<int> Offsets(int size) => InferenceWorkspace.Grow(ref offsets, size);

    public Span<int> TokenRows(int size) => InferenceWorkspace.Grow(ref tokenRows, size);

    public Span<int> BatchCharIds(int size) => InferenceWorkspace.Grow(ref batchCharIds, size);

    /// <summary>Indices of the tokens the cache did not have [N].</summary>
    public Span<int> Missing(int size) => InferenceWorkspace.Grow(ref missing, size);

    /// <summary>Character ids of the tokens to encode [N, W].</summary>
    public Span<int> MissingCharIds(int size) => InferenceWorkspace.Grow(ref missingCharIds, size);

    /// <summary>Freshly encoded representations [N, P].</summary>
    public Span<float> Fresh(int size) => InferenceWorkspace.Grow(ref fresh, size);

    /// <summary>Layer-0 input of direction d, packed [R, P].</summary>
    public Span<float> Input(int direction, int size) => InferenceWorkspace.Grow(ref inputs[direction], size);

    public Span<float> StateM(int direction, int size) => InferenceWorkspace.Grow(ref stateM[direction], size);

    public Span<float> StateC(int direction, int size) => InferenceWorkspace.Grow(ref stateC[direction], size);

    /// <summary>Output of LSTM layer l in direction d, packed [R, P].</summary>
    public Span<float> LayerOutput(int direction, int layer, int size)
    {
        if (layerOutputs[direction].Length <= layer) Array.Resize(ref layerOutputs[direction], layer + 1);
        layerOutputs[direction][layer] ??= [];
        return InferenceWorkspace.Grow(ref layerOutputs[direction][layer], size);
    }
}
