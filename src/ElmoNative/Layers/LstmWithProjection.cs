using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Parameters;

namespace ElmoNative.Layers;

/// <summary>
/// One LSTM layer with a projected output (Sak et al. 2014; TensorFlow's LSTMCell with num_proj, AllenNLP's
/// LstmCellWithProjection), docs/model.md section 4. For each step t, with input x_t [P_in], previous output m [P], cell c [H]:
/// <code>
///   forward, for t = 0 .. T-1:
///     z_t = x_t W_x + m_{t-1} W_h + B                   (W_0 = [W_x; W_h], 4H; gate order i, j, f, o as TensorFlow stores them)
///     c_t = clip(sigmoid(f + 1) c_{t-1} + sigmoid(i) tanh(j), cell_clip)    (+1: TensorFlow's forget bias, NOT in B)
///     h_t = sigmoid(o) tanh(c_t)
///     m_t = clip(h_t W_P, proj_clip)                    (m_t = clip(h_t) without projection)
///   backward (truncated BPTT: nothing flows into the initial state), for t = T-1 .. 0:
///     dm_t  = dy_t + dz_{t+1} W_h^T, then 0 where the projection clip engaged
///     dh_t  = dm_t W_P^T
///     dz_t, dc_{t-1} from dh_t and dc_t (LstmCellTraining.Backward; 0 where the cell clip engaged)
///   then, batched over the window: dW_P += h^T dm   dW_x += x^T dz   dW_h += m_prev^T dz   dB += sum dz   dx += dz W_x^T
/// </code>
/// The input half x_t W_x + B is computed for many steps at once (one large GEMM); only m W_h stays per step.
/// Batches are packed time-major (like PyTorch's PackedSequence): rows sorted by decreasing length, so the rows still
/// running at step t are a prefix 0 .. active[t] - 1, stored one step after the other with no padding rows; finished
/// rows keep their final state and cost nothing. Inference saves nothing (one m, c and h buffer, the gates in chunks);
/// training keeps every step in an <see cref="LstmSaved"/> for <see cref="Backward"/>.
/// </summary>
internal sealed class LstmWithProjection : IDisposable
{
    /// <summary>TensorFlow's LSTMCell adds 1.0 to the forget gate pre-activation.</summary>
    public const float ForgetBias = 1f;

    private readonly Weight input;       // W_x = rows 0 .. P_in - 1 of W_0
    private readonly Weight recurrent;   // W_h = rows P_in .. P_in + P - 1 of W_0
    private readonly Weight bias;        // B [4H]
    private readonly Weight? projection; // W_P_0 [H, P], absent when H == P
    private readonly float cellClip;
    private readonly float projectionClip;

    public LstmWithProjection(ElmoOptions options, int direction, int layer, LayerWeights weights)
    {
        InputDim = options.ProjectionDim;
        CellDim = options.LstmDim;
        OutputDim = options.ProjectionDim;
        string w0 = CheckpointLayout.LstmWeight(direction, layer); // W_0 [P_in + P, 4H], in two parts
        input = weights.Matrix(w0, 0, InputDim);
        recurrent = weights.Matrix(w0, InputDim, OutputDim);
        bias = weights.Tensor(CheckpointLayout.LstmBias(direction, layer));
        if (options.HasLstmProjection) projection = weights.Matrix(CheckpointLayout.LstmProjection(direction, layer));
        cellClip = options.CellClip ?? float.PositiveInfinity;
        projectionClip = options.ProjectionClip ?? float.PositiveInfinity;
    }

    /// <summary>P_in.</summary>
    public int InputDim { get; }

    /// <summary>H.</summary>
    public int CellDim { get; }

    /// <summary>P.</summary>
    public int OutputDim { get; }

    /// <summary>
    /// Inference: runs <paramref name="steps"/> steps over the packed batch x [R, P_in] into y [R, P]: step t holds the
    /// rows offsets[t] .. offsets[t] + active[t] - 1 (the sentences still running, a prefix of the length-sorted batch).
    /// m [B, P] and c [B, H] hold the initial state and receive each row's final state.
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, int steps, ReadOnlySpan<int> active, ReadOnlySpan<int> offsets,
        Span<float> m, Span<float> c, Span<float> y, InferenceWorkspace ws)
        => Forward(x, steps, active, offsets, m, c, y, ws, null);

    /// <summary>
    /// Training: runs the window of <paramref name="saved"/>. On entry saved.Input holds x [T*B, P] and blocks 0 of
    /// saved.Cells / saved.Outputs the initial state; on exit saved.Outputs blocks 1 .. T hold m_0 .. m_{T-1} (the layer
    /// output) and block T the final state.
    /// </summary>
    public void Forward(LstmSaved saved)
        => Forward(saved.Input, saved.Steps, saved.Active, saved.Offsets, default, default, default, null, saved);

    private void Forward(ReadOnlySpan<float> x, int steps, ReadOnlySpan<int> active, ReadOnlySpan<int> offsets,
        Span<float> m, Span<float> c, Span<float> y, InferenceWorkspace? ws, LstmSaved? saved)
    {
        if (steps == 0) return;
        int h = CellDim, p = OutputDim, gates = 4 * h;
        Span<float> hidden = default, gateBuffer;
        int chunkRows;
        if (saved is null)
        {
            // The input half x_t W_x + B for a chunk of steps in one GEMM: as many whole steps as fit in
            // ChunkRows(4H) rows (at least one), which keeps the GEMM large and the gate buffer bounded in bytes.
            hidden = ws!.LstmHidden(active[0] * h);
            chunkRows = ws.ChunkRows(gates);
            int largest = 0;
            for (int t0 = 0, t1; t0 < steps; t0 = t1)
            {
                t1 = NextChunk(offsets, steps, t0, chunkRows);
                largest = Math.Max(largest, offsets[t1] - offsets[t0]);
            }
            gateBuffer = ws.LstmGates(largest * gates);
        }
        else
        {
            chunkRows = int.MaxValue; // the whole window at once; every step's gates are kept
            gateBuffer = saved.Gates;
        }
        for (int t0 = 0, t1; t0 < steps; t0 = t1)
        {
            t1 = NextChunk(offsets, steps, t0, chunkRows);
            int r0 = offsets[t0], rows = offsets[t1] - r0;
            var z = gateBuffer.Slice(saved is null ? 0 : r0 * gates, rows * gates);
            input.Multiply(rows, x.Slice(r0 * InputDim, rows * InputDim), InputDim, 0f, z, gates);   // z = x W_x + B
            Activations.AddRowVector(bias.Values, z, rows, gates);
            for (int t = t0; t < t1; t++)
            {
                int a = active[t], r = offsets[t];
                var zt = z.Slice((r - r0) * gates, a * gates);
                var mPrevious = saved is null ? m : saved.Outputs.AsSpan(r * p, a * p);
                var mNext = saved is null ? m : saved.Outputs.AsSpan((r + a) * p, a * p);
                recurrent.Multiply(a, mPrevious, p, 1f, zt, gates);                               // z += m W_h
                if (saved is null) LstmCell.Step(zt, c, hidden, a, h, ForgetBias, cellClip);       // c, h = sigmoid(o) tanh(c)
                else
                {
                    hidden = saved.Hidden.AsSpan(r * h, a * h);
                    LstmCellTraining.Forward(zt, saved.Cells.AsSpan(r * h, a * h), saved.Cells.AsSpan((r + a) * h, a * h),
                        saved.TanhCells.AsSpan(r * h, a * h), hidden, a, h, ForgetBias, cellClip);
                }
                if (projection is null) hidden[..(a * p)].CopyTo(mNext);
                else projection.Multiply(a, hidden, h, 0f, mNext, p);                              // m = h W_P
                if (!float.IsPositiveInfinity(projectionClip)) Activations.Clip(mNext[..(a * p)], projectionClip);
                if (saved is null) m[..(a * p)].CopyTo(y.Slice(r * p, a * p));
            }
        }
    }

    /// <summary>
    /// Training: outputGradient [T*B, P] is dL/dm_t from above (overwritten with the full dL/dm_t); dL/dx is ADDED to
    /// inputGradient [T*B, P]. Weight gradients are added to the weights' gradients.
    /// </summary>
    public void Backward(LstmSaved saved, Span<float> outputGradient, Span<float> inputGradient)
    {
        int steps = saved.Steps, batch = saved.Batch, h = CellDim, o = OutputDim, g4 = 4 * h, rows = steps * batch;
        var wh = recurrent.Values;
        var dz = saved.GateGradient.AsSpan(0, rows * g4);
        var dc = saved.CellGradient.AsSpan(0, batch * h);
        var dh = saved.HiddenGradient.AsSpan(0, batch * h);
        dc.Clear();
        for (int t = steps - 1; t >= 0; t--)
        {
            var dm = outputGradient.Slice(t * batch * o, batch * o);
            if (t < steps - 1)
                Sgemm.Multiply(Transpose.No, Transpose.Yes, batch, o, g4, 1f, dz.Slice((t + 1) * batch * g4, batch * g4), g4, wh, g4, 1f, dm, o);
            Gradients.ClipBackward(saved.Outputs.AsSpan((t + 1) * batch * o, batch * o), projectionClip, dm);
            if (projection is null) dm.CopyTo(dh);
            else Sgemm.Multiply(Transpose.No, Transpose.Yes, batch, h, o, 1f, dm, o, projection.Values, o, 0f, dh, h);
            LstmCellTraining.Backward(saved.Gates.AsSpan(t * batch * g4, batch * g4), saved.Cells.AsSpan(t * batch * h, batch * h),
                saved.Cells.AsSpan((t + 1) * batch * h, batch * h), saved.TanhCells.AsSpan(t * batch * h, batch * h), dh, dc,
                dz.Slice(t * batch * g4, batch * g4), batch, h, cellClip);
        }
        var dmAll = outputGradient[..(rows * o)];
        if (projection is not null)
            Sgemm.Multiply(Transpose.Yes, Transpose.No, h, o, rows, 1f, saved.Hidden, h, dmAll, o, 1f, projection.Gradient, o);
        Sgemm.Multiply(Transpose.Yes, Transpose.No, InputDim, g4, rows, 1f, saved.Input, InputDim, dz, g4, 1f, input.Gradient, g4);
        Sgemm.Multiply(Transpose.Yes, Transpose.No, o, g4, rows, 1f, saved.Outputs, o, dz, g4, 1f, recurrent.Gradient, g4);
        Gradients.AddColumnSums(dz, rows, g4, bias.Gradient);
        Sgemm.Multiply(Transpose.No, Transpose.Yes, rows, InputDim, g4, 1f, dz, g4, input.Values, g4, 1f, inputGradient, InputDim);
    }

    /// <summary>Frees the packed weights.</summary>
    public void Dispose()
    {
        input.Dispose();
        recurrent.Dispose();
        projection?.Dispose();
    }

    /// <summary>The step after the chunk starting at <paramref name="t0"/>: whole steps up to <paramref name="maxRows"/> rows, at least one.</summary>
    private static int NextChunk(ReadOnlySpan<int> offsets, int steps, int t0, int maxRows)
    {
        int t1 = t0 + 1;
        while (t1 < steps && offsets[t1 + 1] - offsets[t0] <= maxRows) t1++;
        return t1;
    }
}

/// <summary>
/// What an LSTM layer's forward pass keeps over a window of T steps and B rows (time-major, every row running every
/// step) for its backward pass, plus backward's scratch. Block 0 of <see cref="Cells"/> and <see cref="Outputs"/> is the
/// initial state carried from the previous window, which backward treats as a constant.
/// </summary>
internal sealed class LstmSaved
{
    public LstmSaved(int steps, int batch, int input, int cell, int output)
    {
        Steps = steps;
        Batch = batch;
        Active = new int[steps];
        Offsets = new int[steps + 1];
        for (int t = 0; t < steps; t++)
        {
            Active[t] = batch;
            Offsets[t + 1] = (t + 1) * batch;
        }
        Input = new float[steps * batch * input];
        Gates = new float[steps * batch * 4 * cell];
        Cells = new float[(steps + 1) * batch * cell];
        TanhCells = new float[steps * batch * cell];
        Hidden = new float[steps * batch * cell];
        Outputs = new float[(steps + 1) * batch * output];
        GateGradient = new float[steps * batch * 4 * cell];
        CellGradient = new float[batch * cell];
        HiddenGradient = new float[batch * cell];
    }

    /// <summary>T.</summary>
    public int Steps { get; }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>[T]: rows running at each step (all B).</summary>
    public int[] Active { get; }

    /// <summary>[T + 1]: first row of each step (t B).</summary>
    public int[] Offsets { get; }

    /// <summary>x [T*B, P]: the layer input as used (after dropout).</summary>
    public float[] Input { get; }

    /// <summary>Activated gates [T*B, 4H].</summary>
    public float[] Gates { get; }

    /// <summary>c [(T+1)*B, H]: block 0 the initial cell, block t + 1 = c_t.</summary>
    public float[] Cells { get; }

    /// <summary>tanh(c_t) [T*B, H].</summary>
    public float[] TanhCells { get; }

    /// <summary>h_t [T*B, H].</summary>
    public float[] Hidden { get; }

    /// <summary>m [(T+1)*B, P]: block 0 the initial output state, block t + 1 = m_t.</summary>
    public float[] Outputs { get; }

    /// <summary>dL/dz [T*B, 4H].</summary>
    public float[] GateGradient { get; }

    /// <summary>dL/dc of the current step [B, H].</summary>
    public float[] CellGradient { get; }

    /// <summary>dL/dh of the current step [B, H].</summary>
    public float[] HiddenGradient { get; }
}
