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
/// Batches are packed time-major (like PyTorch's PackedSequence): rows sorted by decreasing length, so the rows still
/// running at step t are a prefix 0 .. active[t] - 1, stored one step after the other with no padding rows; finished
/// rows keep their final state and cost nothing.
/// Inference saves nothing (one m, c and h buffer) and does a step one column block of the gates at a time: its packed
/// W_x, W_h and B have their columns in gate-block order (the four gates of U units side by side, see
/// <see cref="GateBlockOrder"/>), so z = x_t W_x + B + m W_h and the cell math of those U units run on a block that stays
/// in cache (steps of few rows take x_t W_x + B from one GEMM over a run of steps instead; bench/README.md, "Fused LSTM
/// step"); the sums keep the order of whole-step GEMMs, so the bits are the same.
/// Training keeps TensorFlow's order, computes x_t W_x + B for the whole window in one GEMM (only m W_h stays per step),
/// and keeps every step in an <see cref="LstmSaved"/> for <see cref="Backward"/>.
/// </summary>
internal sealed class LstmWithProjection : IDisposable
{
    /// <summary>TensorFlow's LSTMCell adds 1.0 to the forget gate pre-activation.</summary>
    public const float ForgetBias = 1f;

    /// <summary>Hidden units per column block of the inference step (its gates: 4 x 64 columns).</summary>
    public const int DefaultBlockUnits = 64;

    private readonly Weight input;       // W_x = rows 0 .. P_in - 1 of W_0 (inference: columns in gate-block order)
    private readonly Weight recurrent;   // W_h = rows P_in .. P_in + P - 1 of W_0 (inference: columns in gate-block order)
    private readonly Weight bias;        // B [4H] (inference: in gate-block order)
    private readonly int blockUnits;     // U of the gate-block order; 0 for training weights (TensorFlow's order)
    private readonly Weight? projection; // W_P_0 [H, P], absent when H == P
    private readonly float cellClip;
    private readonly float projectionClip;

    public LstmWithProjection(ElmoOptions options, int direction, int layer, LayerWeights weights, int blockUnits = DefaultBlockUnits)
    {
        InputDim = options.ProjectionDim;
        CellDim = options.LstmDim;
        OutputDim = options.ProjectionDim;
        string w0 = CheckpointLayout.LstmWeight(direction, layer); // W_0 [P_in + P, 4H], in two parts
        string b = CheckpointLayout.LstmBias(direction, layer);
        if (weights.Trainable)
        {
            // Training keeps TensorFlow's order.
            input = weights.Matrix(w0, 0, InputDim);
            recurrent = weights.Matrix(w0, InputDim, OutputDim);
            bias = weights.Tensor(b);
        }
        else
        {
            // Inference: the gates of each block of U units side by side (see GateBlockOrder), so that a step is done
            // one column block at a time, its cell math on gates still in cache; W_0 is packed in that order as it is read.
            ArgumentOutOfRangeException.ThrowIfLessThan(blockUnits, 1);
            int panel = PackedMatrix.CurrentPanelWidth;
            while (4 * blockUnits % panel != 0) blockUnits++;
            this.blockUnits = blockUnits;
            int[] order = GateBlockOrder(CellDim, blockUnits);
            input = weights.Matrix(w0, 0, InputDim, order);
            recurrent = weights.Matrix(w0, InputDim, OutputDim, order);
            bias = weights.Tensor(b).WithColumnOrder(order);
        }
        if (options.HasLstmProjection) projection = weights.Matrix(CheckpointLayout.LstmProjection(direction, layer));
        cellClip = options.CellClip ?? float.PositiveInfinity;
        projectionClip = options.ProjectionClip ?? float.PositiveInfinity;
    }

    /// <summary>
    /// The inference column order of W_0 and B: block b (columns 4 b U .. 4 b U + 4 u - 1, u = min(U, H - b U)) holds
    /// i, j, f, o of the units b U .. b U + u - 1, each gate's u columns side by side; entry j is the column of
    /// TensorFlow's order [i | j | f | o] (each H wide) that goes to column j.
    /// </summary>
    internal static int[] GateBlockOrder(int cells, int units)
    {
        var order = new int[4 * cells];
        for (int u0 = 0; u0 < cells; u0 += units)
        {
            int width = Math.Min(units, cells - u0);
            for (int gate = 0; gate < 4; gate++)
                for (int u = 0; u < width; u++) order[4 * u0 + gate * width + u] = gate * cells + u0 + u;
        }
        return order;
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
    {
        if (steps == 0) return;
        if (blockUnits == 0) throw new InvalidOperationException("the inference pass runs on packed weights (training weights run Forward(LstmSaved))");
        int h = CellDim, p = OutputDim, pIn = InputDim, gates = 4 * h;
        int blocks = (h + blockUnits - 1) / blockUnits, group = Math.Max(1, ws.LstmRowGroup), few = Math.Max(1, ws.LstmFewRows);
        var hidden = ws.LstmScratch(active[0] * h, few * gates); // output before projection [rows, H]
        var chunkGates = ws.LstmGates(); // x W_x + B of runs of few-row steps
        var job = ws.LstmBlockJob;
        job.Layer = this;
        job.Workspace = ws;
        int chunkFirstRow = 0, chunkEnd = 0; // rows and steps whose x W_x + B are in the chunk buffer
        for (int t = 0; t < steps; t++)
        {
            int a = active[t], r = offsets[t];
            bool fromChunk = a < few;
            if (fromChunk && t >= chunkEnd)
            {
                // Steps of few rows take x W_x + B from one GEMM over a run of such steps (up to `few` rows in all), so
                // that W_x streams once for the run, not once per step (a batch of one sentence: once per sentence).
                int t1 = t + 1;
                while (t1 < steps && active[t1] < few && offsets[t1 + 1] - r <= few) t1++;
                int chunkRows = offsets[t1] - r;
                var chunk = chunkGates[..(chunkRows * gates)];
                input.Multiply(chunkRows, x.Slice(r * pIn, chunkRows * pIn), pIn, 0f, chunk, gates);    // z = x W_x
                Activations.AddRowVector(bias.Values, chunk, chunkRows, gates);                        //   + B
                chunkFirstRow = r;
                chunkEnd = t1;
            }
            // For each group of rows: m_{t-1} (and x_t) packed once, then per column block of the gates (the four gates
            // of U units) z = x_t W_x + B (or its rows of the chunk), z += m W_h, and the cell math of those units while z
            // is in cache; the thread budget's threads take contiguous runs of blocks. Each z element sums the same K
            // blocks in the same order as a product over all 4H columns, so the bits are those of whole-step GEMMs.
            for (int g0 = 0; g0 < a; g0 += group)
            {
                int rows = Math.Min(group, a - g0);
                if (!fromChunk) ws.LstmInputRows.Pack(rows, pIn, x.Slice((r + g0) * pIn, rows * pIn), pIn);
                ws.LstmOutputRows.Pack(rows, p, m.Slice(g0 * p, rows * p), p);
                int parts = Math.Min(blocks, Sgemm.ThreadsFor(2L * rows * (fromChunk ? p : pIn + p) * gates));
                if (!fromChunk)
                    for (int part = 0; part < parts; part++) ws.LstmBlockGates(part, rows * 4 * blockUnits);
                job.Rows = rows;
                job.Parts = parts;
                job.ChunkOffset = fromChunk ? (r + g0 - chunkFirstRow) * gates : -1;
                ParallelSpans.For(parts, parts, c.Slice(g0 * h, rows * h), hidden.Slice(g0 * h, rows * h), job.Body);
            }
            var mNext = m[..(a * p)];
            if (projection is null) hidden[..(a * p)].CopyTo(mNext);
            else projection.Multiply(a, hidden, h, 0f, mNext, p);                                  // m = h W_P
            if (!float.IsPositiveInfinity(projectionClip)) Activations.Clip(mNext, projectionClip);
            mNext.CopyTo(y.Slice(r * p, a * p));
        }
        job.Layer = null;
        job.Workspace = null;
    }

    /// <summary>
    /// Part <paramref name="part"/> of the column blocks of the step <paramref name="job"/> describes, on the packed rows
    /// of its workspace: c [rows, H] updated, hidden [rows, H] written, for the units of the part's blocks.
    /// </summary>
    internal void RunBlocks(LstmBlockJob job, int part, Span<float> c, Span<float> hidden)
    {
        var ws = job.Workspace!;
        int h = CellDim, gates = 4 * h, blocks = (h + blockUnits - 1) / blockUnits, rows = job.Rows;
        int first = (int)((long)blocks * part / job.Parts), last = (int)((long)blocks * (part + 1) / job.Parts);
        if (job.ChunkOffset >= 0)
        {
            // x W_x + B are in the chunk buffer: each block adds m W_h in place (row stride 4H) and runs its cell math.
            var chunk = ws.LstmGates();
            for (int block = first; block < last; block++)
            {
                int u0 = block * blockUnits, units = Math.Min(blockUnits, h - u0), width = 4 * units, j0 = 4 * u0;
                var zb = chunk.Slice(job.ChunkOffset + j0, (rows - 1) * gates + width);
                recurrent.Multiply(ws.LstmOutputRows, j0, width, 1f, zb, gates);            // z += m W_h
                LstmCell.Step(zb, gates, c[u0..], h, hidden[u0..], h, rows, units, ForgetBias, cellClip);
            }
            return;
        }
        var z = ws.LstmBlockGates(part, rows * 4 * blockUnits);
        var b = bias.Values;
        for (int block = first; block < last; block++)
        {
            int u0 = block * blockUnits, units = Math.Min(blockUnits, h - u0), width = 4 * units, j0 = 4 * u0;
            var zb = z[..(rows * width)];
            input.Multiply(ws.LstmInputRows, j0, width, 0f, zb, width);                  // z = x W_x
            Activations.AddRowVector(b.Slice(j0, width), zb, rows, width);              //   + B
            recurrent.Multiply(ws.LstmOutputRows, j0, width, 1f, zb, width);            //   + m W_h
            LstmCell.Step(zb, width, c[u0..], h, hidden[u0..], h, rows, units, ForgetBias, cellClip);
        }
    }

    /// <summary>
    /// Training: runs the window of <paramref name="saved"/>. On entry saved.Input holds x [T*B, P] and blocks 0 of
    /// saved.Cells / saved.Outputs the initial state; on exit saved.Outputs blocks 1 .. T hold m_0 .. m_{T-1} (the layer
    /// output) and block T the final state.
    /// </summary>
    public void Forward(LstmSaved saved)
    {
        int steps = saved.Steps, h = CellDim, p = OutputDim, gates = 4 * h;
        if (steps == 0) return;
        ReadOnlySpan<int> active = saved.Active, offsets = saved.Offsets;
        // The input half x_t W_x + B for the whole window in one GEMM; every step's gates are kept for backward.
        int rowsAll = offsets[steps];
        var z = saved.Gates.AsSpan(0, rowsAll * gates);
        input.Multiply(rowsAll, saved.Input.AsSpan(0, rowsAll * InputDim), InputDim, 0f, z, gates);   // z = x W_x + B
        Activations.AddRowVector(bias.Values, z, rowsAll, gates);
        for (int t = 0; t < steps; t++)
        {
            int a = active[t], r = offsets[t];
            var zt = z.Slice(r * gates, a * gates);
            var mPrevious = saved.Outputs.AsSpan(r * p, a * p);
            var mNext = saved.Outputs.AsSpan((r + a) * p, a * p);
            recurrent.Multiply(a, mPrevious, p, 1f, zt, gates);                                       // z += m W_h
            var hidden = saved.Hidden.AsSpan(r * h, a * h);
            LstmCellTraining.Forward(zt, saved.Cells.AsSpan(r * h, a * h), saved.Cells.AsSpan((r + a) * h, a * h),
                saved.TanhCells.AsSpan(r * h, a * h), hidden, a, h, ForgetBias, cellClip);
            if (projection is null) hidden[..(a * p)].CopyTo(mNext);
            else projection.Multiply(a, hidden, h, 0f, mNext, p);                                      // m = h W_P
            if (!float.IsPositiveInfinity(projectionClip)) Activations.Clip(mNext, projectionClip);
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
