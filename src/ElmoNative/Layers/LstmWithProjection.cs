using ElmoNative.Checkpoints;
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
/// Batches are time-major [T, B, .] with rows sorted by decreasing length, so the rows still running at step t
/// are a prefix 0 .. active[t] - 1; finished rows keep their final state.
/// </summary>
internal sealed class LstmWithProjection
{
    /// <summary>TensorFlow's LSTMCell adds 1.0 to the forget gate pre-activation.</summary>
    public const float ForgetBias = 1f;

    private readonly Dense input;          // x W_x + B, W_x = rows 0 .. P_in - 1 of W_0
    private readonly PackedMatrix recurrent; // W_h = rows P_in .. P_in + P - 1 of W_0
    private readonly Dense? projection;    // W_P_0 [H, P], absent when H == P
    private readonly float cellClip;
    private readonly float projectionClip;

    public LstmWithProjection(ElmoOptions options, int direction, int layer, Func<string, float[]> weights)
    {
        InputDim = options.ProjectionDim;
        CellDim = options.LstmDim;
        OutputDim = options.ProjectionDim;
        int gates = 4 * CellDim;
        float[] w = weights(CheckpointLayout.LstmWeight(direction, layer));
        input = new Dense(w.AsSpan(0, InputDim * gates), weights(CheckpointLayout.LstmBias(direction, layer)), InputDim, gates);
        recurrent = PackedMatrix.Pack(w.AsSpan(InputDim * gates), OutputDim, gates, gates);
        if (options.HasLstmProjection)
            projection = new Dense(weights(CheckpointLayout.LstmProjection(direction, layer)), null, CellDim, OutputDim);
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
    /// Runs <paramref name="steps"/> steps over x [T, B, P_in] into y [T, B, P] (rows past active[t] are zeroed).
    /// m [B, P] and c [B, H] hold the initial state and receive each row's final state.
    /// </summary>
    public void Forward(ReadOnlySpan<float> x, int steps, int batch, ReadOnlySpan<int> active,
        Span<float> m, Span<float> c, Span<float> y, InferenceWorkspace ws)
    {
        int gates = 4 * CellDim, p = OutputDim;
        // Steps per chunk of the input GEMM: enough rows to keep the GEMM large, few enough to bound memory.
        int chunkSteps = Math.Max(1, InferenceWorkspace.InputGemmRows / Math.Max(1, batch));
        var hidden = ws.LstmHidden(batch * CellDim);
        for (int t0 = 0; t0 < steps; t0 += chunkSteps)
        {
            int n = Math.Min(chunkSteps, steps - t0);
            if (active[t0] == 0) break;
            var z = ws.LstmGates(n * batch * gates);
            input.Forward(x.Slice(t0 * batch * InputDim, n * batch * InputDim), InputDim, z, gates, n * batch);
            for (int j = 0; j < n; j++)
            {
                int t = t0 + j, a = active[t];
                var yt = y.Slice(t * batch * p, batch * p);
                yt[(a * p)..].Clear();
                if (a == 0) continue;
                var zt = z.Slice(j * batch * gates, a * gates);
                Sgemm.Multiply(a, m, p, recurrent, 1f, zt, gates);                   // z += m W_h
                LstmCell.Step(zt, c, hidden, a, CellDim, ForgetBias, cellClip);      // c, h = sigmoid(o) tanh(c)
                if (projection is null) hidden[..(a * p)].CopyTo(m);
                else projection.Forward(hidden, CellDim, m, p, a);                   // m = h W_P
                if (!float.IsPositiveInfinity(projectionClip)) Activations.Clip(m[..(a * p)], projectionClip);
                m[..(a * p)].CopyTo(yt);
            }
        }
        for (int t = 0; t < steps; t++)
            if (active[t] == 0) y.Slice(t * batch * p, batch * p).Clear();
    }
}
