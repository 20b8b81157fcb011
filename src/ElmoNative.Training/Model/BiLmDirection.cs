using ElmoNative.Layers;
using ElmoNative.Parameters;
using ElmoNative.Training.Loss;

namespace ElmoNative.Training;

/// <summary>
/// One direction of the training biLM over a window of T steps and B rows (time-major: row t * B + b), from the token
/// representations to its softmax loss, and back:
/// <code>
///   forward:  x_0 = the token representation of each position (gathered)   top = LstmStack(x_0)   loss = softmax cross-entropy(top, targets)
///   backward: dtop = softmax backward   dx_0 = LstmStack backward(dtop)   -> dL/d(token representation) of each position
/// </code>
/// The LSTM stack (layers, skip connections, dropout, its backward) is <see cref="LstmStack"/>, the same one inference
/// runs; this class adds what is its own: gathering the positions, the loss, and the LSTM state, which enters from an
/// <see cref="LstmStates"/> and is written back when the window is committed. All buffers are allocated once.
/// </summary>
internal sealed class BiLmDirection : IDisposable
{
    private readonly int direction, batch, steps, p, layers;
    private readonly LstmStack lstm;
    private readonly LstmStackSaved saved;
    private readonly SampledSoftmax sampled;
    private readonly FullSoftmax full;

    public BiLmDirection(ElmoOptions options, LayerWeights weights, int direction, int batch, int steps, float dropout,
        int vocabularySize, int negativeSamples)
    {
        this.direction = direction;
        this.batch = batch;
        this.steps = steps;
        p = options.ProjectionDim;
        layers = options.LstmLayers;
        int rows = batch * steps;
        lstm = new LstmStack(options, direction, weights);
        saved = new LstmStackSaved(options, steps, batch, 1f - dropout);
        sampled = new SampledSoftmax(rows, p, new LogUniformSampler(vocabularySize, negativeSamples));
        full = new FullSoftmax(p, vocabularySize);
    }

    /// <summary>The sampled softmax (its sampler's last draw says which softmax rows the gradient touches).</summary>
    public SampledSoftmax Sampled => sampled;

    /// <summary>The top output after dropout [T*B, P]: the softmax input.</summary>
    public float[] Top => saved.Output;

    /// <summary>What each LSTM layer saved in the last forward pass.</summary>
    public IReadOnlyList<LstmSaved> Saved => saved.Layers;

    /// <summary>dL/d(token representation) of each position [T*B, P] after the last <see cref="Backward"/>.</summary>
    public ReadOnlySpan<float> PositionGradient => saved.InputGradient;

    /// <summary>Output of LSTM layer l in the last window [T*B, P], time-major (with the skip connection).</summary>
    public ReadOnlySpan<float> LayerOutput(int layer) => saved.LayerOutputs[layer];

    /// <summary>The LSTM stack from the token representations [N, P] of the positions' tokens, starting from <paramref name="state"/>.</summary>
    public void Forward(ReadOnlySpan<float> tokens, ReadOnlySpan<int> tokenIndex, bool dropout, ulong key, LstmStates state)
    {
        int rows = batch * steps;
        var x0 = saved.Input;
        for (int r = 0; r < rows; r++) tokens.Slice(tokenIndex[r] * p, p).CopyTo(x0.Slice(r * p, p));
        for (int l = 0; l < layers; l++)
        {
            state.Outputs[direction][l].CopyTo(saved.InitialOutput(l));
            state.Cells[direction][l].CopyTo(saved.InitialCell(l));
        }
        lstm.Forward(saved, dropout, key);
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
            ? sampled.Forward(Dropout.SubKey(key, 100 + direction), saved.Output, targets, weight, bias, valid == 0 ? 0f : 0.5f / valid)
            : full.Forward(saved.Output, targets, weight, bias);
    }

    /// <summary>Writes every layer's final state into <paramref name="state"/> (the next window starts from it).</summary>
    public void CommitState(LstmStates state)
    {
        for (int l = 0; l < layers; l++)
        {
            saved.FinalOutput(l).CopyTo(state.Outputs[direction][l]);
            saved.FinalCell(l).CopyTo(state.Cells[direction][l]);
        }
    }

    /// <summary>dL/d(top output) from the sampled softmax, into the stack's output gradient; returns it.</summary>
    public Span<float> SoftmaxBackward(ReadOnlySpan<int> targets, ReadOnlySpan<float> weight)
    {
        var dTop = saved.OutputGradient;
        dTop.Clear();
        sampled.Backward(saved.Output, targets, weight, dTop);
        return dTop;
    }

    /// <summary>
    /// The LSTM stack backward from dL/d(top output) (as <see cref="SoftmaxBackward"/> left it), weight gradients added to
    /// the weights' gradients; leaves dL/d(token representation) of each position in <see cref="PositionGradient"/>.
    /// </summary>
    public void Backward(bool dropout) => lstm.Backward(saved, dropout);

    /// <summary>Releases the stack's layers.</summary>
    public void Dispose() => lstm.Dispose();
}
