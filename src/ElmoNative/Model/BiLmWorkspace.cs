namespace ElmoNative;

/// <summary>Scratch memory of one biLM forward call over a batch, reused between calls.</summary>
internal sealed class BiLmWorkspace
{
    private int[] order = [], steps = [], active = [], tokenRows = [], batchCharIds = [];
    private readonly float[][] inputs = [[], []];
    private float[] stateM = [], stateC = [];
    private float[][][] layerOutputs = [[], []];

    public InferenceWorkspace Inference { get; } = new();

    /// <summary>The distinct tokens of the current batch and their row in the encoded block.</summary>
    public Dictionary<string, int> DistinctTokens { get; } = new(StringComparer.Ordinal);

    public Span<int> Order(int size) => InferenceWorkspace.Grow(ref order, size);

    public Span<int> Steps(int size) => InferenceWorkspace.Grow(ref steps, size);

    public Span<int> Active(int size) => InferenceWorkspace.Grow(ref active, size);

    public Span<int> TokenRows(int size) => InferenceWorkspace.Grow(ref tokenRows, size);

    public Span<int> BatchCharIds(int size) => InferenceWorkspace.Grow(ref batchCharIds, size);

    /// <summary>Layer-0 input of direction d [T, B, P].</summary>
    public Span<float> Input(int direction, int size) => InferenceWorkspace.Grow(ref inputs[direction], size);

    public Span<float> StateM(int size) => InferenceWorkspace.Grow(ref stateM, size);

    public Span<float> StateC(int size) => InferenceWorkspace.Grow(ref stateC, size);

    /// <summary>Output of LSTM layer l in direction d [T, B, P].</summary>
    public Span<float> LayerOutput(int direction, int layer, int size)
    {
        if (layerOutputs[direction].Length <= layer) Array.Resize(ref layerOutputs[direction], layer + 1);
        layerOutputs[direction][layer] ??= [];
        return InferenceWorkspace.Grow(ref layerOutputs[direction][layer], size);
    }
}
