using ElmoNative.Kernels;
using ElmoNative.Layers;
using ElmoNative.Parameters;
using ElmoNative.Training.Layers;
using ElmoNative.Training.Loss;

namespace ElmoNative.Training;

/// <summary>
/// One direction of the training biLM over a window of T steps and B rows (time-major: row t * B + b), from the token
/// representations to its softmax loss, and back:
/// <code>
///   forward:  x_0 = the token representation of each position
///             for l = 0 .. L-1:  x_l = dropout(x_l)   y_l = LSTM_l(x_l) (+ x_l for l &gt; 0, the skip connection)   x_{l+1} = y_l
///             top = dropout(y_{L-1})   loss = softmax cross-entropy(top, targets)
///   backward: the same in reverse:
///             dtop = softmax backward   dy_{L-1} = dropout backward(dtop)
///             for l = L-1 .. 0:  dx_l = dy_l (skip, l &gt; 0) + LSTM_l backward(dy_l)   dy_{l-1} = dropout backward(dx_l)
///             -> dL/d(token representation) of each position
/// </code>
/// The LSTM state enters from an <see cref="LstmStates"/> and is written back when the window is committed. Dropout
/// masks are pure functions of the window's key, the direction and the layer. All buffers are allocated once.
/// </summary>
internal sealed class BiLmDirection
{
    private readonly int direction, batch, steps, p, h, layers;
    private readonly float keep;
    private readonly bool skip;
    private readonly LstmWithProjection[] lstm;
    private readonly LstmSaved[] saved;
    private readonly float[][] layerOutputs; // [l][T*B, P] (with skip)
    private readonly float[][] masks;        // [l][T*B, P]: dropout of the input of layer l; index L: of the top output
    private readonly float[] top;            // [T*B, P]: softmax input
    private readonly float[] gradientA, gradientB;
    private readonly SampledSoftmax sampled;
    private readonly FullSoftmax full;
    private float[] positionGradient; // gradientA or gradientB, whichever the last backward pass ended in

    public BiLmDirection(ElmoOptions options, LayerWeights weights, int direction, int batch, int steps, float dropout,
        int vocabularySize, int negativeSamples)
    {
        this.direction = direction;
        this.batch = batch;
        this.steps = steps;
        p = options.ProjectionDim;
        h = options.LstmDim;
        layers = options.LstmLayers;
        keep = 1f - dropout;
        skip = options.UseSkipConnections;
        int rows = batch * steps;
        lstm = new LstmWithProjection[layers];
        saved = new LstmSaved[layers];
        layerOutputs = new float[layers][];
        masks = new float[layers + 1][];
        for (int l = 0; l < layers; l++)
        {
            lstm[l] = new LstmWithProjection(options, direction, l, weights);
            saved[l] = new LstmSaved(steps, batch, p, h, p);
            layerOutputs[l] = new float[rows * p];
        }
        for (int l = 0; l <= layers; l++) masks[l] = keep < 1f ? new float[rows * p] : [];
        top = new float[rows * p];
        gradientA = new float[rows * p];
        gradientB = new float[rows * p];
        positionGradient = gradientA;
        sampled = new SampledSoftmax(rows, p, new LogUniformSampler(vocabularySize, negativeSamples));
        full = new FullSoftmax(p, vocabularySize);
    }

    /// <summary>The sampled softmax (its sampler's last draw says which softmax rows the gradient touches).</summary>
    public SampledSoftmax Sampled => sampled;

    /// <summary>The top output after dropout [T*B, P]: the softmax input.</summary>
    public float[] Top => top;

    /// <summary>What each LSTM layer saved in the last forward pass.</summary>
    public IReadOnlyList<LstmSaved> Saved => saved;

    /// <summary>dL/d(token representation) of each position [T*B, P] after the last <see cref="Backward"/>.</summary>
    public ReadOnlySpan<float> PositionGradient => positionGradient.AsSpan(0, batch * steps * p);

    /// <summary>Output of LSTM layer l in the last window [T*B, P], time-major (with the skip connection).</summary>
    public ReadOnlySpan<float> LayerOutput(int layer) => layerOutputs[layer];

    /// <summary>The LSTM stack from the token representations [N, P] of the positions' tokens, starting from <paramref name="state"/>.</summary>
    public void Forward(ReadOnlySpan<float> tokens, ReadOnlySpan<int> tokenIndex, bool dropout, ulong key, LstmStates state)
    {
        int rows = batch * steps;
        bool drop = dropout && keep < 1f;
        var x0 = saved[0].Input.AsSpan(0, rows * p);
        for (int r = 0; r < rows; r++) tokens.Slice(tokenIndex[r] * p, p).CopyTo(x0.Slice(r * p, p));
        for (int l = 0; l < layers; l++)
        {
            var layer = saved[l];
            var x = layer.Input.AsSpan(0, rows * p);
            if (l > 0) layerOutputs[l - 1].CopyTo(x);
            if (drop) Dropout.Forward(BiLmNetwork.SubKey(key, 1000 * (direction + 1) + l), keep, x, masks[l], x);
            state.Outputs[direction][l].CopyTo(layer.Outputs, 0);
            state.Cells[direction][l].CopyTo(layer.Cells, 0);
            lstm[l].Forward(layer);
            var y = layerOutputs[l].AsSpan();
            layer.Outputs.AsSpan(batch * p, rows * p).CopyTo(y);
            // Skip connection (bilm-tf's ResidualWrapper inside the DropoutWrapper): y = m + x, x after dropout.
            if (skip && l > 0) VectorOps.Add(x, y);
        }
        var last = layerOutputs[layers - 1];
        if (drop) Dropout.Forward(BiLmNetwork.SubKey(key, 1000 * (direction + 1) + 999), keep, last, masks[layers], top);
        else last.CopyTo(top, 0);
    }

    /// <summary>
    /// The cross-entropy sum and count of the top output: sampled (training; the gradient of the objective is then
    /// scaled by 0.5 / count) or full (evaluation).
    /// </summary>
    public (double Sum, int Count) Loss(bool train, ulong key, ReadOnlySpan<int> targets, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias)
    {
        int valid = 0;
        foreach (int y in targets) if (y >= 0) valid++;
        return train
            ? sampled.Forward(BiLmNetwork.SubKey(key, 100 + direction), top, targets, weight, bias, valid == 0 ? 0f : 0.5f / valid)
            : full.Forward(top, targets, weight, bias);
    }

    /// <summary>Writes every layer's final state into <paramref name="state"/> (the next window starts from it).</summary>
    public void CommitState(LstmStates state)
    {
        for (int l = 0; l < layers; l++)
        {
            saved[l].Outputs.AsSpan(steps * batch * p, batch * p).CopyTo(state.Outputs[direction][l]);
            saved[l].Cells.AsSpan(steps * batch * h, batch * h).CopyTo(state.Cells[direction][l]);
        }
    }

    /// <summary>dL/d(top output) from the sampled softmax, into the first gradient buffer; returns it.</summary>
    public Span<float> SoftmaxBackward(ReadOnlySpan<int> targets, ReadOnlySpan<float> weight)
    {
        var dTop = gradientA.AsSpan(0, batch * steps * p);
        dTop.Clear();
        sampled.Backward(top, targets, weight, dTop);
        return dTop;
    }

    /// <summary>
    /// The LSTM stack backward from dL/d(top output) (as <see cref="SoftmaxBackward"/> left it), weight gradients added to
    /// the weights' gradients; leaves dL/d(token representation) of each position in <see cref="PositionGradient"/>.
    /// </summary>
    public void Backward(bool dropout)
    {
        int rows = batch * steps;
        bool drop = dropout && keep < 1f;
        float[] a = gradientA, b = gradientB;
        var dy = a.AsSpan(0, rows * p);
        var dx = b.AsSpan(0, rows * p);
        if (drop) Dropout.Backward(masks[layers], dy);
        for (int l = layers - 1; l >= 0; l--)
        {
            // The skip connection passes dy straight to the (dropped) input; the LSTM adds its own part.
            if (skip && l > 0) dy.CopyTo(dx);
            else dx.Clear();
            lstm[l].Backward(saved[l], dy, dx);
            if (drop) Dropout.Backward(masks[l], dx);
            var swap = dy;
            dy = dx;
            dx = swap;
            (a, b) = (b, a);
        }
        positionGradient = a;
    }
}
