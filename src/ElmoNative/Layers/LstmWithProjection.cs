using ElmoNative.Checkpoints;
using ElmoNative.Parameters;
using ElmoNative.Kernels;

namespace ElmoNative.Layers;

/// <summary>
/// One LSTM layer with a projected output (Sak et al. 2014; TensorFlow's LSTMCell with num_proj, AllenNLP's
/// LstmCellWithProjection), spec section 4. For each step t, with input x_t [P_in], previous output m [P], cell c [H]:
/// <code>
///   z = [x_t, m] W_0 + B                               (4H; gate order i, j, f, o as TensorFlow stores them)
///   c = sigmoid(f + 1) * c + sigmoid(i) * tanh(j)      (+1: TensorFlow's forget bias, which is NOT in B)
///   c = clip(c, -cell_clip, cell_clip)
///   m = clip((sigmoid(o) * tanh(c)) W_P_0, -proj_clip, proj_clip)
/// </code>
/// The input half x_t W_x is computed for many steps at once (one large GEMM); only m W_h stays per step.
/// Batches are packed time-major (like PyTorch's PackedSequence): rows sorted by decreasing length, so the rows still
/// running at step t are a prefix 0 .. active[t] - 1, stored one step after the other with no padding rows; finished
/// rows keep their final state and cost nothing.
/// </summary>
internal sealed class LstmWithProjection : IDisposable
{
    /// <summary>TensorFlow's LSTMCell adds 1.0 to the forget gate pre-activation.</summary>
    public const float ForgetBias = 1f;

    private readonly Dense input;          // x W_x + B, W_x = rows 0 .. P_in - 1 of W_0
    private readonly PackedMatrix recurrent; // W_h = rows P_in .. P_in + P - 1 of W_0
    private readonly Dense? projection;    // W_P_0 [H, P], absent when H == P
    private readonly float cellClip;
    private readonly float projectionClip;

    public LstmWithProjection(ElmoOptions options, int direction, int layer, WeightSource weights)
    {
        InputDim = options.ProjectionDim;
        CellDim = options.LstmDim;
        OutputDim = options.ProjectionDim;
        int gates = 4 * CellDim;
        string w0 = CheckpointLayout.LstmWeight(direction, layer); // W_0 [P_in + P, 4H], read and packed in two parts
        input = new Dense(Weight.Packed(weights.ReadPacked(w0, 0, InputDim)), Weight.Plain(weights.Read(CheckpointLayout.LstmBias(direction, layer))));
        recurrent = weights.ReadPacked(w0, InputDim, OutputDim);
        if (options.HasLstmProjection)
            projection = new Dense(Weight.Packed(weights.ReadPacked(CheckpointLayout.LstmProjection(direction, layer))), null);
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
    /// Runs <paramref name="steps"/> steps over the packed batch x [R, P_in] into y [R, P]: step t holds the rows
    /// offsets[t] .. offsets[t] + active[t] - 1 (the sentences still running, a prefix of the length-sorted batch).
    /// m [B, P] and c [B, H] hold the initial state and receive each row's final state.
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, int steps, ReadOnlySpan<int> active, ReadOnlySpan<int> offsets,
        Span<float> m, Span<float> c, Span<float> y, InferenceWorkspace ws)
    {
        if (steps == 0) return;
        int gates = 4 * CellDim, p = OutputDim;
        var hidden = ws.LstmHidden(active[0] * CellDim);
        // The input half x_t W_x + B for a chunk of steps in one GEMM: as many whole steps as fit in
        // ChunkRows(4H) rows (at least one), which keeps the GEMM large and the gate buffer bounded in bytes.
        int chunkRows = ws.ChunkRows(gates);
        int largest = 0;
        for (int t0 = 0, t1; t0 < steps; t0 = t1)
        {
            t1 = NextChunk(offsets, steps, t0, chunkRows);
            largest = Math.Max(largest, offsets[t1] - offsets[t0]);
        }
        var gateBuffer = ws.LstmGates(largest * gates);
        for (int t0 = 0, t1; t0 < steps; t0 = t1)
        {
            t1 = NextChunk(offsets, steps, t0, chunkRows);
            int r0 = offsets[t0], rows = offsets[t1] - r0;
            var z = gateBuffer[..(rows * gates)];
            input.Forward(x.Slice(r0 * InputDim, rows * InputDim), InputDim, z, gates, rows);
            for (int t = t0; t < t1; t++)
            {
                int a = active[t];
                var zt = z.Slice((offsets[t] - r0) * gates, a * gates);
                Sgemm.Multiply(a, m, p, recurrent, 1f, zt, gates);                   // z += m W_h
                LstmCell.Step(zt, c, hidden, a, CellDim, ForgetBias, cellClip);      // c, h = sigmoid(o) tanh(c)
                if (projection is null) hidden[..(a * p)].CopyTo(m);
                else projection.Forward(hidden, CellDim, m, p, a);                   // m = h W_P
                if (!float.IsPositiveInfinity(projectionClip)) Activations.Clip(m[..(a * p)], projectionClip);
                m[..(a * p)].CopyTo(y.Slice(offsets[t] * p, a * p));
            }
        }
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
