using ElmoNative.Kernels;

namespace ElmoNative;

/// <summary>Scratch memory of one biLM forward call over a batch, reused between calls (native buffers; see <see cref="InferenceWorkspace"/>).</summary>
internal sealed class BiLmWorkspace : IDisposable
{
    private readonly NativeBuffer<int> order = new(), steps = new(), active = new(), offsets = new(), tokenRows = new(),
        batchCharIds = new(), missing = new(), missingCharIds = new();
    private readonly NativeBuffer<float> fresh = new();
    private readonly NativeBuffer<long> sortKeys = new();
    private readonly NativeBuffer<float>[] inputs = [new(), new()];
    private readonly NativeBuffer<float>[] stateM = [new(), new()], stateC = [new(), new()];
    private readonly InferenceWorkspace backward = new();
    private NativeBuffer<float>[][] layerOutputs = [[], []];

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

    /// <summary>The token encoder on two threads over this workspace's missing tokens (created once per workspace).</summary>
    internal Layers.TokenEncodeJob TokenEncodeJob { get; } = new();

    /// <summary>The distinct tokens of the current batch and their row in the encoded block.</summary>
    public Dictionary<string, int> DistinctTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>Sort keys of the rows (length, then position) [B].</summary>
    public Span<long> SortKeys(int size) => sortKeys.Get(size);

    public Span<int> Order(int size) => order.Get(size);

    public Span<int> Steps(int size) => steps.Get(size);

    public Span<int> Active(int size) => active.Get(size);

    /// <summary>Packed layout: step t holds rows offsets[t] .. offsets[t + 1] - 1.</summary>
    public Span<int> Offsets(int size) => offsets.Get(size);

    public Span<int> TokenRows(int size) => tokenRows.Get(size);

    public Span<int> BatchCharIds(int size) => batchCharIds.Get(size);

    /// <summary>Indices of the tokens the cache did not have [N].</summary>
    public Span<int> Missing(int size) => missing.Get(size);

    /// <summary>Character ids of the tokens to encode [N, W].</summary>
    public Span<int> MissingCharIds(int size) => missingCharIds.Get(size);

    /// <summary>Freshly encoded representations [N, P].</summary>
    public Span<float> Fresh(int size) => fresh.Get(size);

    /// <summary>Layer-0 input of direction d, packed [R, P].</summary>
    public Span<float> Input(int direction, int size) => inputs[direction].Get(size);

    public Span<float> StateM(int direction, int size) => stateM[direction].Get(size);

    public Span<float> StateC(int direction, int size) => stateC[direction].Get(size);

    /// <summary>LSTM layers of the current call's stack (0: unknown, no buffer is shared).</summary>
    public int LstmLayers { get; set; }

    /// <summary>
    /// Output of LSTM layer l in direction d, packed [R, P]. The backward direction's top layer, in a stack of two or
    /// more, shares the buffer of its layer-0 input (<see cref="Input"/>(1)): that reversed copy of x_0 is read only by
    /// layer 0, so it is free by the time the top layer writes (4.5 MB less at 2,048 tokens of <c>original</c>).
    /// </summary>
    public Span<float> LayerOutput(int direction, int layer, int size)
    {
        if (direction == 1 && layer >= 1 && layer == LstmLayers - 1) return inputs[1].Get(size);
        if (layerOutputs[direction].Length <= layer) Array.Resize(ref layerOutputs[direction], layer + 1);
        return (layerOutputs[direction][layer] ??= new()).Get(size);
    }

    /// <summary>Frees every buffer.</summary>
    public void Dispose()
    {
        foreach (var buffer in (ReadOnlySpan<NativeBuffer<int>>)[order, steps, active, offsets, tokenRows, batchCharIds, missing, missingCharIds])
            buffer.Dispose();
        fresh.Dispose();
        sortKeys.Dispose();
        foreach (var buffer in (ReadOnlySpan<NativeBuffer<float>>)[.. inputs, .. stateM, .. stateC]) buffer.Dispose();
        foreach (var layers in layerOutputs)
            foreach (var buffer in layers) buffer?.Dispose();
        Inference.Dispose();
        backward.Dispose();
    }
}
