using ElmoNative.Kernels;
using ElmoNative.Parameters;

namespace ElmoNative.Layers;

/// <summary>
/// The L stacked LSTM layers of one biLM direction (docs/model.md section 4), a skip connection around every layer but the
/// first when the options say so; in training, dropout on the stack's input, between the layers and on its output
/// (bilm-tf's DropoutWrapper around its ResidualWrapper):
/// <code>
///   forward:  x_0 = the token representations
///             for l = 0 .. L-1:  x_l = dropout(x_l)   y_l = LSTM_l(x_l) (+ x_l for l &gt; 0)   x_{l+1} = y_l
///             top = dropout(y_{L-1})
///   backward: the same in reverse (training only):
///             dy_{L-1} = dropout backward(dtop)
///             for l = L-1 .. 0:  dx_l = dy_l (skip, l &gt; 0) + LSTM_l backward(dy_l)   dx_l = dropout backward(dx_l)   dy_{l-1} = dx_l
///             -> dL/dx_0
/// </code>
/// Inference runs a packed batch of sentences (<see cref="PackedBatch"/>), no dropout, nothing saved, each row's state
/// from zeros or its <see cref="ElmoState"/>; training runs a window of T steps and B rows (time-major, row t * B + b)
/// and keeps what backward needs in an <see cref="LstmStackSaved"/>. Dropout masks are pure functions of the window's
/// key, the direction and the layer.
/// </summary>
internal sealed class LstmStack : IDisposable
{
    private readonly int direction, p, h;
    private readonly bool skip;
    private readonly LstmWithProjection[] layers;

    public LstmStack(ElmoOptions options, int direction, LayerWeights weights)
    {
        this.direction = direction;
        p = options.ProjectionDim;
        h = options.LstmDim;
        skip = options.UseSkipConnections;
        layers = new LstmWithProjection[options.LstmLayers];
        for (int l = 0; l < layers.Length; l++) layers[l] = new LstmWithProjection(options, direction, l, weights);
    }

    /// <summary>L.</summary>
    public int Layers => layers.Length;

    /// <summary>
    /// Inference: the packed batch described by <paramref name="ws"/> (order, steps, active rows, offsets), input
    /// x [R, P] in this direction's step order; layer l's output goes to ws.LayerOutput(direction, l). With
    /// <paramref name="state"/>, each row starts from and updates its stored state.
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, ElmoState? state, BiLmWorkspace ws)
    {
        int batch = ws.Batch, maxSteps = ws.MaxSteps;
        ReadOnlySpan<int> order = ws.Order(batch), steps = ws.Steps(batch);
        ReadOnlySpan<int> active = ws.Active(maxSteps), offsets = ws.Offsets(maxSteps + 1);
        int rows = offsets[maxSteps];
        for (int l = 0; l < layers.Length; l++)
        {
            var m = ws.StateM(direction, batch * p);
            var c = ws.StateC(direction, batch * h);
            for (int s = 0; s < batch; s++)
            {
                if (state is null) { m.Slice(s * p, p).Clear(); c.Slice(s * h, h).Clear(); }
                else state.Load(direction, l, order[s], m.Slice(s * p, p), c.Slice(s * h, h));
            }

            var y = ws.LayerOutput(direction, l, rows * p);
            layers[l].Forward(x, maxSteps, active, offsets, m, c, y, ws.Direction(direction));
            // Residual connection around every layer but the first; the carried state m stays the plain output.
            if (skip && l > 0) VectorOps.Add(x[..y.Length], y);

            if (state is not null)
                for (int s = 0; s < batch; s++)
                    if (steps[s] > 0) state.Store(direction, l, order[s], m.Slice(s * p, p), c.Slice(s * h, h));
            x = y;
        }
    }

    /// <summary>
    /// Training: the window of <paramref name="saved"/>. On entry <see cref="LstmStackSaved.Input"/> holds x_0 and
    /// each layer's <see cref="LstmStackSaved.InitialOutput"/> / <see cref="LstmStackSaved.InitialCell"/> its state;
    /// on exit <see cref="LstmStackSaved.Output"/> holds the top output (after dropout when <paramref name="dropout"/>).
    /// </summary>
    public void Forward(LstmStackSaved saved, bool dropout, ulong key)
    {
        int rows = saved.Batch * saved.Steps;
        bool drop = dropout && saved.Keep < 1f;
        for (int l = 0; l < layers.Length; l++)
        {
            var layer = saved.Layers[l];
            var x = layer.Input.AsSpan(0, rows * p);
            if (l > 0) saved.LayerOutputs[l - 1].CopyTo(x);
            if (drop) Dropout.Forward(MaskKey(key, l), saved.Keep, x, saved.Masks[l], x);
            layers[l].Forward(layer);
            var y = saved.LayerOutputs[l].AsSpan();
            layer.Outputs.AsSpan(saved.Batch * p, rows * p).CopyTo(y);
            // Skip connection (bilm-tf's ResidualWrapper inside the DropoutWrapper): y = m + x, x after dropout.
            if (skip && l > 0) VectorOps.Add(x, y);
        }
        var last = saved.LayerOutputs[^1];
        if (drop) Dropout.Forward(MaskKey(key, 999), saved.Keep, last, saved.Masks[^1], saved.Output);
        else last.CopyTo(saved.Output, 0);
    }

    /// <summary>
    /// Training: from dL/d(top output) in <see cref="LstmStackSaved.OutputGradient"/> (overwritten) to dL/dx_0 in
    /// <see cref="LstmStackSaved.InputGradient"/>; weight gradients are added to the weights' gradients.
    /// </summary>
    public void Backward(LstmStackSaved saved, bool dropout)
    {
        int rows = saved.Batch * saved.Steps;
        bool drop = dropout && saved.Keep < 1f;
        float[] a = saved.GradientA, b = saved.GradientB;
        var dy = a.AsSpan(0, rows * p);
        var dx = b.AsSpan(0, rows * p);
        if (drop) Dropout.Backward(saved.Masks[^1], dy);
        for (int l = layers.Length - 1; l >= 0; l--)
        {
            // The skip connection passes dy straight to the (dropped) input; the LSTM adds its own part.
            if (skip && l > 0) dy.CopyTo(dx);
            else dx.Clear();
            layers[l].Backward(saved.Layers[l], dy, dx);
            if (drop) Dropout.Backward(saved.Masks[l], dx);
            var swap = dy;
            dy = dx;
            dx = swap;
            (a, b) = (b, a);
        }
        saved.InputGradientBuffer = a;
    }

    /// <summary>Frees the packed weights of every layer (native memory).</summary>
    public void Dispose()
    {
        foreach (var layer in layers) layer.Dispose();
    }

    /// <summary>The dropout key of layer l's input (999: of the top output) in this direction.</summary>
    private ulong MaskKey(ulong key, int layer) => Dropout.SubKey(key, 1000 * (direction + 1) + layer);
}

/// <summary>
/// What an <see cref="LstmStack"/>'s training forward pass keeps over a window of T steps and B rows for its backward
/// pass: each layer's <see cref="LstmSaved"/>, its output (with the skip connection), the dropout masks, the top
/// output; plus the two gradient buffers backward alternates between.
/// </summary>
internal sealed class LstmStackSaved
{
    private readonly int p, h;

    public LstmStackSaved(ElmoOptions options, int steps, int batch, float keep)
    {
        Steps = steps;
        Batch = batch;
        Keep = keep;
        p = options.ProjectionDim;
        h = options.LstmDim;
        int rows = batch * steps, count = options.LstmLayers;
        Layers = new LstmSaved[count];
        LayerOutputs = new float[count][];
        Masks = new float[count + 1][];
        for (int l = 0; l < count; l++)
        {
            Layers[l] = new LstmSaved(steps, batch, p, h, p);
            LayerOutputs[l] = new float[rows * p];
        }
        for (int l = 0; l <= count; l++) Masks[l] = keep < 1f ? new float[rows * p] : [];
        Output = new float[rows * p];
        GradientA = new float[rows * p];
        GradientB = new float[rows * p];
        InputGradientBuffer = GradientA;
    }

    /// <summary>T.</summary>
    public int Steps { get; }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>Keep probability of the dropout (1: none).</summary>
    public float Keep { get; }

    /// <summary>What each LSTM layer saved.</summary>
    public LstmSaved[] Layers { get; }

    /// <summary>Output of layer l [T*B, P] (with the skip connection, before dropout).</summary>
    public float[][] LayerOutputs { get; }

    /// <summary>[l][T*B, P]: dropout of the input of layer l; index L: of the top output (empty without dropout).</summary>
    public float[][] Masks { get; }

    /// <summary>The top output [T*B, P] (after dropout).</summary>
    public float[] Output { get; }

    /// <summary>x_0 [T*B, P]: the stack's input, filled by the caller before the forward pass.</summary>
    public Span<float> Input => Layers[0].Input.AsSpan(0, Batch * Steps * p);

    /// <summary>dL/d(top output) [T*B, P], filled by the caller before the backward pass.</summary>
    public Span<float> OutputGradient => GradientA.AsSpan(0, Batch * Steps * p);

    /// <summary>dL/dx_0 [T*B, P] after the backward pass.</summary>
    public ReadOnlySpan<float> InputGradient => InputGradientBuffer.AsSpan(0, Batch * Steps * p);

    /// <summary>Initial output state m [B, P] of layer l (block 0 of its saved outputs).</summary>
    public Span<float> InitialOutput(int layer) => Layers[layer].Outputs.AsSpan(0, Batch * p);

    /// <summary>Initial cell state c [B, H] of layer l.</summary>
    public Span<float> InitialCell(int layer) => Layers[layer].Cells.AsSpan(0, Batch * h);

    /// <summary>Final output state m [B, P] of layer l after the forward pass.</summary>
    public ReadOnlySpan<float> FinalOutput(int layer) => Layers[layer].Outputs.AsSpan(Steps * Batch * p, Batch * p);

    /// <summary>Final cell state c [B, H] of layer l after the forward pass.</summary>
    public ReadOnlySpan<float> FinalCell(int layer) => Layers[layer].Cells.AsSpan(Steps * Batch * h, Batch * h);

    internal float[] GradientA { get; }

    internal float[] GradientB { get; }

    /// <summary>GradientA or GradientB, whichever the last backward pass ended in.</summary>
    internal float[] InputGradientBuffer { get; set; }
}
