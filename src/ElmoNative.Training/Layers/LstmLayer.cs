using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Training.Diagnostics;

namespace ElmoNative.Training.Layers;

/// <summary>
/// One LSTM layer with projection (spec section 4) over a window of T steps for B rows, time-major: row t * B + b.
/// <code>
///   forward, for t = 0 .. T-1:
///     z_t = x_t W_x + m_{t-1} W_h + B                 (W_0 = [W_x; W_h], gates i, j, f, o)
///     c_t = clip(sigmoid(f + 1) c_{t-1} + sigmoid(i) tanh(j), cell_clip)
///     h_t = sigmoid(o) tanh(c_t)
///     m_t = clip(h_t W_P, proj_clip)                  (m_t = clip(h_t) without projection)
///   backward (truncated BPTT: nothing flows into the initial state), for t = T-1 .. 0:
///     dm_t  = dy_t + dz_{t+1} W_h^T, then 0 where the projection clip engaged
///     dh_t  = dm_t W_P^T
///     dz_t, dc_{t-1} from dh_t and dc_t (LstmCellTraining.Backward; 0 where the cell clip engaged)
///   then, batched over the window: dW_P += h^T dm   dW_x += x^T dz   dW_h += m_prev^T dz   dB += sum dz   dx += dz W_x^T
/// </code>
/// Forward saves (in an <see cref="LstmCache"/>) the input x, the activated gates, c for steps -1 .. T-1, tanh(c),
/// h and m for steps -1 .. T-1; block 0 of the cell and output buffers is the initial state carried from the
/// previous window, which backward treats as a constant.
/// </summary>
internal sealed class LstmLayer
{
    /// <summary>TensorFlow's LSTMCell adds 1.0 to the forget gate pre-activation (it is not in B).</summary>
    public const float ForgetBias = 1f;

    private readonly ParameterTensor weight, bias;
    private readonly ParameterTensor? projection;
    private readonly float cellClip, projectionClip;

    public LstmLayer(ElmoOptions options, ParameterLayout layout, int direction, int layer)
    {
        Input = options.ProjectionDim;
        Cell = options.LstmDim;
        Output = options.ProjectionDim;
        weight = layout[CheckpointLayout.LstmWeight(direction, layer)];
        bias = layout[CheckpointLayout.LstmBias(direction, layer)];
        if (options.HasLstmProjection) projection = layout[CheckpointLayout.LstmProjection(direction, layer)];
        cellClip = options.CellClip ?? float.PositiveInfinity;
        projectionClip = options.ProjectionClip ?? float.PositiveInfinity;
    }

    /// <summary>P (input width).</summary>
    public int Input { get; }

    /// <summary>H.</summary>
    public int Cell { get; }

    /// <summary>P (output width).</summary>
    public int Output { get; }

    /// <summary>
    /// Runs the window. On entry cache.Input holds x [T*B, P] and blocks 0 of cache.Cells / cache.Outputs the initial
    /// state; on exit cache.Outputs blocks 1 .. T hold m_0 .. m_{T-1} (the layer output) and block T the final state.
    /// </summary>
    public void Forward(ParameterSet p, LstmCache cache, int steps, int batch)
    {
        int h = Cell, o = Output, g4 = 4 * h, rows = steps * batch;
        var w = p.View(weight);
        var wx = w[..(Input * g4)];
        var wh = w[(Input * g4)..];
        var z = cache.Gates.AsSpan(0, rows * g4);
        long clock = PhaseTimer.Start();
        Sgemm.Multiply(Transpose.No, Transpose.No, rows, g4, Input, 1f, cache.Input, Input, wx, g4, 0f, z, g4);
        Activations.AddRowVector(p.View(bias), z, rows, g4);
        clock = PhaseTimer.Stop(Phase.LstmInputGemm, clock);
        for (int t = 0; t < steps; t++)
        {
            var zt = z.Slice(t * batch * g4, batch * g4);
            var mPrev = cache.Outputs.AsSpan(t * batch * o, batch * o);
            Sgemm.Multiply(Transpose.No, Transpose.No, batch, g4, o, 1f, mPrev, o, wh, g4, 1f, zt, g4);
            var hidden = cache.Hidden.AsSpan(t * batch * h, batch * h);
            clock = PhaseTimer.Stop(Phase.LstmStepGemm, clock);
            LstmCellTraining.Forward(zt, cache.Cells.AsSpan(t * batch * h, batch * h), cache.Cells.AsSpan((t + 1) * batch * h, batch * h),
                cache.TanhCells.AsSpan(t * batch * h, batch * h), hidden, batch, h, ForgetBias, cellClip);
            clock = PhaseTimer.Stop(Phase.LstmCell, clock);
            var m = cache.Outputs.AsSpan((t + 1) * batch * o, batch * o);
            if (projection is null) hidden.CopyTo(m);
            else Sgemm.Multiply(Transpose.No, Transpose.No, batch, o, h, 1f, hidden, h, p.View(projection), o, 0f, m, o);
            if (!float.IsPositiveInfinity(projectionClip)) Activations.Clip(m, projectionClip);
            clock = PhaseTimer.Stop(Phase.LstmStepGemm, clock);
        }
    }

    /// <summary>
    /// outputGradient [T*B, P] is dL/dm_t from above (overwritten with the full dL/dm_t); dL/dx is ADDED to
    /// inputGradient [T*B, P]. Parameter gradients accumulate into <paramref name="g"/>.
    /// </summary>
    public void Backward(ParameterSet p, ParameterSet g, LstmCache cache, int steps, int batch, Span<float> outputGradient, Span<float> inputGradient)
    {
        int h = Cell, o = Output, g4 = 4 * h, rows = steps * batch;
        var w = p.View(weight);
        var wx = w[..(Input * g4)];
        var wh = w[(Input * g4)..];
        var dz = cache.GateGradient.AsSpan(0, rows * g4);
        var dc = cache.CellGradient.AsSpan(0, batch * h);
        var dh = cache.HiddenGradient.AsSpan(0, batch * h);
        dc.Clear();
        long clock = PhaseTimer.Start();
        for (int t = steps - 1; t >= 0; t--)
        {
            var dm = outputGradient.Slice(t * batch * o, batch * o);
            if (t < steps - 1)
                Sgemm.Multiply(Transpose.No, Transpose.Yes, batch, o, g4, 1f, dz.Slice((t + 1) * batch * g4, batch * g4), g4, wh, g4, 1f, dm, o);
            clock = PhaseTimer.Stop(Phase.LstmStepGemmBackward, clock);
            Gradients.ClipBackward(cache.Outputs.AsSpan((t + 1) * batch * o, batch * o), projectionClip, dm);
            clock = PhaseTimer.Stop(Phase.LstmCellBackward, clock);
            if (projection is null) dm.CopyTo(dh);
            else Sgemm.Multiply(Transpose.No, Transpose.Yes, batch, h, o, 1f, dm, o, p.View(projection), o, 0f, dh, h);
            clock = PhaseTimer.Stop(Phase.LstmStepGemmBackward, clock);
            LstmCellTraining.Backward(cache.Gates.AsSpan(t * batch * g4, batch * g4), cache.Cells.AsSpan(t * batch * h, batch * h),
                cache.Cells.AsSpan((t + 1) * batch * h, batch * h), cache.TanhCells.AsSpan(t * batch * h, batch * h), dh, dc,
                dz.Slice(t * batch * g4, batch * g4), batch, h, cellClip);
            clock = PhaseTimer.Stop(Phase.LstmCellBackward, clock);
        }
        var dmAll = outputGradient[..(rows * o)];
        if (projection is not null)
            Sgemm.Multiply(Transpose.Yes, Transpose.No, h, o, rows, 1f, cache.Hidden, h, dmAll, o, 1f, g.View(projection), o);
        var dw = g.View(weight);
        Sgemm.Multiply(Transpose.Yes, Transpose.No, Input, g4, rows, 1f, cache.Input, Input, dz, g4, 1f, dw[..(Input * g4)], g4);
        Sgemm.Multiply(Transpose.Yes, Transpose.No, o, g4, rows, 1f, cache.Outputs, o, dz, g4, 1f, dw[(Input * g4)..], g4);
        Gradients.AddColumnSums(dz, rows, g4, g.View(bias));
        Sgemm.Multiply(Transpose.No, Transpose.Yes, rows, Input, g4, 1f, dz, g4, wx, g4, 1f, inputGradient, Input);
        PhaseTimer.Stop(Phase.LstmWindowGemmBackward, clock);
    }
}

/// <summary>What an LSTM layer keeps over a window of T steps and B rows (time-major), plus backward scratch.</summary>
internal sealed class LstmCache(int steps, int batch, int input, int cell, int output)
{
    /// <summary>x [T*B, P]: the layer input as used (after dropout).</summary>
    public float[] Input { get; } = new float[steps * batch * input];

    /// <summary>Activated gates [T*B, 4H].</summary>
    public float[] Gates { get; } = new float[steps * batch * 4 * cell];

    /// <summary>c [(T+1)*B, H]: block 0 the initial cell, block t + 1 = c_t.</summary>
    public float[] Cells { get; } = new float[(steps + 1) * batch * cell];

    /// <summary>tanh(c_t) [T*B, H].</summary>
    public float[] TanhCells { get; } = new float[steps * batch * cell];

    /// <summary>h_t [T*B, H].</summary>
    public float[] Hidden { get; } = new float[steps * batch * cell];

    /// <summary>m [(T+1)*B, P]: block 0 the initial output state, block t + 1 = m_t.</summary>
    public float[] Outputs { get; } = new float[(steps + 1) * batch * output];

    /// <summary>dL/dz [T*B, 4H].</summary>
    public float[] GateGradient { get; } = new float[steps * batch * 4 * cell];

    /// <summary>dL/dc of the current step [B, H].</summary>
    public float[] CellGradient { get; } = new float[batch * cell];

    /// <summary>dL/dh of the current step [B, H].</summary>
    public float[] HiddenGradient { get; } = new float[batch * cell];
}
