using System.Numerics;
using ElmoNative.Checkpoints;

namespace ElmoNative.Tests.Reference;

/// <summary>
/// The intermediate values of one LSTM step (docs/model.md section 4), as a <see cref="PlainElmo{T}"/> run computed
/// them: the step's inputs (x_t, m_{t-1}, c_{t-1}) and outputs (z, c_t, h_t, m_t).
/// </summary>
/// <param name="Direction">0 forward, 1 backward.</param>
/// <param name="Layer">LSTM layer l.</param>
/// <param name="Input">x_t [P].</param>
/// <param name="PreviousOutput">m_{t-1} [P].</param>
/// <param name="PreviousCell">c_{t-1} [H].</param>
/// <param name="Gates">z = [x_t, m_{t-1}] W_0 + B [4H], before the activations.</param>
/// <param name="Cell">c_t after the cell clip [H].</param>
/// <param name="Hidden">h_t = sigmoid(o) tanh(c_t) [H].</param>
/// <param name="Output">m_t after the projection and the projection clip [P].</param>
public sealed record LstmStepValues<T>(int Direction, int Layer, T[] Input, T[] PreviousOutput, T[] PreviousCell,
    T[] Gates, T[] Cell, T[] Hidden, T[] Output);

/// <summary>
/// <see cref="ScalarElmo"/> over any IEEE floating-point type: the same loops in the same order, each stage a method of
/// its own, so that a stage can be run alone on given inputs (the per-stage accuracy comparison, docs/accuracy.md).
/// With T = double it gives <see cref="ScalarElmo"/>'s bits (<c>AccuracyTests.PlainDoubleIsTheScalarReference</c>);
/// with T = float it is "a plain float32 ELMo": float accumulation in the reference's order, no FMA, and the exact
/// activations <c>MathF.Tanh</c> and <c>1f / (1f + MathF.Exp(-x))</c> (float.Tanh / float.Exp are MathF's).
/// </summary>
public sealed class PlainElmo<T>
    where T : IFloatingPointIeee754<T>
{
    private readonly ElmoOptions o;
    private readonly int e, f, p, h, layers, width;
    // The checkpoint's own float32 arrays, row-major, widened to T at each use (W); nothing is copied.
    private readonly float[] charEmbed;
    private readonly float[][] convW, convB;
    private readonly float[][] carryW, carryB, transformW, transformB;
    private readonly float[]? projW, projB;
    private readonly float[][] lstmW, lstmB;
    private readonly float[]?[] lstmProj;
    private readonly T cellClip, projectionClip; // +infinity when the options have none

    public PlainElmo(Checkpoint checkpoint)
    {
        o = checkpoint.Options;
        e = o.CharEmbeddingDim;
        f = o.Filters.Sum(x => x.Count);
        p = o.ProjectionDim;
        h = o.LstmDim;
        layers = o.LstmLayers;
        width = o.MaxCharactersPerToken;

        float[] Read(string name) => checkpoint[name];

        charEmbed = Read("char_embed");
        convW = new float[o.Filters.Count][];
        convB = new float[o.Filters.Count][];
        for (int i = 0; i < o.Filters.Count; i++)
        {
            convW[i] = Read($"CNN/W_cnn_{i}");
            convB[i] = Read($"CNN/b_cnn_{i}");
        }
        carryW = new float[o.HighwayLayers][];
        carryB = new float[o.HighwayLayers][];
        transformW = new float[o.HighwayLayers][];
        transformB = new float[o.HighwayLayers][];
        for (int k = 0; k < o.HighwayLayers; k++)
        {
            carryW[k] = Read($"CNN_high_{k}/W_carry");
            carryB[k] = Read($"CNN_high_{k}/b_carry");
            transformW[k] = Read($"CNN_high_{k}/W_transform");
            transformB[k] = Read($"CNN_high_{k}/b_transform");
        }
        if (f != p)
        {
            projW = Read("CNN_proj/W_proj");
            projB = Read("CNN_proj/b_proj");
        }
        lstmW = new float[2 * layers][];
        lstmB = new float[2 * layers][];
        lstmProj = new float[2 * layers][];
        for (int d = 0; d < 2; d++)
            for (int l = 0; l < layers; l++)
            {
                string cell = $"RNN_{d}/RNN/MultiRNNCell/Cell{l}/LSTMCell";
                lstmW[d * layers + l] = Read(cell + "/W_0");
                lstmB[d * layers + l] = Read(cell + "/B");
                lstmProj[d * layers + l] = h != p ? Read(cell + "/W_P_0") : null;
            }
        cellClip = o.CellClip is { } cc ? T.CreateChecked(cc) : T.PositiveInfinity;
        projectionClip = o.ProjectionClip is { } pc ? T.CreateChecked(pc) : T.PositiveInfinity;
    }

    public ElmoOptions Options => o;

    // ---- Section 3, one stage at a time. ----------------------------------------------------------------------------
    // Every sum starts from its bias and adds its terms in ScalarElmo's order; the loops over outputs are innermost
    // (each output's own sequence of operations is unchanged), which reads the weights row by row.

    /// <summary>Step 1: the W x E embedded characters of a row of shifted ids (id 0 embeds to zeros).</summary>
    public T[,] CharEmbedding(int[] ids)
    {
        var x = new T[width, e];
        for (int t = 0; t < width; t++)
            for (int k = 0; k < e; k++)
                x[t, k] = ids[t] == 0 ? T.Zero : W(charEmbed[(ids[t] - 1) * e + k]);
        return x;
    }

    /// <summary>Step 2 for all banks: convolution, max over time, activation; banks concatenated [F].</summary>
    public T[] CharCnn(T[,] x)
    {
        var hw = new T[f];
        int offset = 0;
        for (int i = 0; i < o.Filters.Count; i++)
        {
            int w = o.Filters[i].Width, n = o.Filters[i].Count;
            float[] filter = convW[i], bias = convB[i];
            var best = new T[n];
            var y = new T[n];
            Array.Fill(best, T.NegativeInfinity);
            for (int t = 0; t + w <= width; t++)
            {
                for (int q = 0; q < n; q++) y[q] = W(bias[q]);
                for (int k = 0; k < w; k++)
                    for (int c = 0; c < e; c++)
                    {
                        T xv = x[t + k, c];
                        int row = (k * e + c) * n; // W[0, k, c, q] of shape (1, w, E, n)
                        for (int q = 0; q < n; q++) y[q] += xv * W(filter[row + q]);
                    }
                for (int q = 0; q < n; q++) best[q] = T.Max(best[q], y[q]);
            }
            for (int q = 0; q < n; q++)
                hw[offset + q] = o.Activation == CharCnnActivation.Relu ? T.Max(best[q], T.Zero) : T.Tanh(best[q]);
            offset += n;
        }
        return hw;
    }

    /// <summary>Step 3, highway layer <paramref name="layer"/>: g = sigmoid(h W_c + b_c), t = relu(h W_t + b_t), g t + (1 - g) h.</summary>
    public T[] Highway(int layer, T[] hw)
    {
        var g = Affine(hw, carryW[layer], carryB[layer], f);
        var t = Affine(hw, transformW[layer], transformB[layer], f);
        var next = new T[f];
        for (int j = 0; j < f; j++)
        {
            T gj = Sigmoid(g[j]), tj = T.Max(t[j], T.Zero);
            next[j] = gj * tj + (T.One - gj) * hw[j];
        }
        return next;
    }

    /// <summary>Step 4: h W_proj + b_proj [P]; null when F == P.</summary>
    public T[]? Projection(T[] hw) => projW is null ? null : Affine(hw, projW, projB, p);

    /// <summary>The token representation [P] of a row of shifted ids: steps 1-4.</summary>
    public T[] TokenRepresentationFromIds(int[] ids)
    {
        var hw = CharCnn(CharEmbedding(ids));
        for (int k = 0; k < o.HighwayLayers; k++) hw = Highway(k, hw);
        return Projection(hw) ?? hw;
    }

    // ---- Section 4, one stage at a time. ----------------------------------------------------------------------------

    /// <summary>z = [x, m] W_0 + B [4H] of direction d, layer l (the x rows first, then the m rows, as ScalarElmo).</summary>
    public T[] Gates(int d, int l, T[] x, T[] m)
    {
        float[] w = lstmW[d * layers + l];
        int g4 = 4 * h;
        var z = Affine(x, w, lstmB[d * layers + l], g4);
        for (int i = 0; i < p; i++)
        {
            T mi = m[i];
            int row = (p + i) * g4;
            for (int k = 0; k < g4; k++) z[k] += mi * W(w[row + k]);
        }
        return z;
    }

    /// <summary>From z [4H] and c_{t-1} [H]: c_t = clip(sigmoid(f + 1) c + sigmoid(i) tanh(j)) and h_t = sigmoid(o) tanh(c_t).</summary>
    public (T[] Cell, T[] Hidden) Cell(T[] z, T[] c)
    {
        var cell = new T[h];
        var hidden = new T[h];
        for (int u = 0; u < h; u++)
        {
            T gi = z[u], gj = z[h + u], gf = z[2 * h + u], go = z[3 * h + u];
            T cu = Sigmoid(gf + T.One) * c[u] + Sigmoid(gi) * T.Tanh(gj);
            if (T.Abs(cu) > cellClip) cu = T.Clamp(cu, -cellClip, cellClip);
            cell[u] = cu;
            hidden[u] = Sigmoid(go) * T.Tanh(cu);
        }
        return (cell, hidden);
    }

    /// <summary>m_t = clip(h_t W_P_0) [P] (clip(h_t) without projection) of direction d, layer l.</summary>
    public T[] Output(int d, int l, T[] hidden)
    {
        float[]? wp = lstmProj[d * layers + l];
        var m = wp is null ? (T[])hidden.Clone() : Affine(hidden, wp, null, p);
        for (int j = 0; j < p; j++)
            if (T.Abs(m[j]) > projectionClip) m[j] = T.Clamp(m[j], -projectionClip, projectionClip);
        return m;
    }

    /// <summary>
    /// One sentence from zero state (stateless), as <see cref="ScalarElmo.Run"/>: the result is [L + 1][n][2P] with the
    /// boundaries removed; every LSTM step is passed to <paramref name="step"/> when given.
    /// </summary>
    public T[][][] Run(IReadOnlyList<string> tokens, Action<LstmStepValues<T>>? step = null)
    {
        var steps = new List<T[]> { TokenRepresentationFromIds(ScalarElmo.CharacterIds("<S>", width)) };
        foreach (var token in tokens) steps.Add(TokenRepresentationFromIds(ScalarElmo.CharacterIds(token, width)));
        steps.Add(TokenRepresentationFromIds(ScalarElmo.CharacterIds("</S>", width)));
        int total = steps.Count, n = tokens.Count;
        var result = new T[layers + 1][][];
        for (int l = 0; l <= layers; l++)
        {
            result[l] = new T[n][];
            for (int t = 0; t < n; t++) result[l][t] = new T[2 * p];
        }
        for (int t = 0; t < n; t++)
            for (int j = 0; j < p; j++)
                result[0][t][j] = result[0][t][p + j] = steps[t + 1][j];

        for (int d = 0; d < 2; d++)
        {
            T[][] input = steps.Select(v => (T[])v.Clone()).ToArray();
            for (int l = 0; l < layers; l++)
            {
                var m = new T[p];
                var c = new T[h];
                var output = new T[total][];
                for (int s = 0; s < total; s++)
                {
                    int t = d == 0 ? s : total - 1 - s;
                    var z = Gates(d, l, input[t], m);
                    var (cell, hidden) = Cell(z, c);
                    var next = Output(d, l, hidden);
                    step?.Invoke(new LstmStepValues<T>(d, l, input[t], m, c, z, cell, hidden, next));
                    m = next;
                    c = cell;
                    output[t] = (T[])m.Clone();
                    if (o.UseSkipConnections && l > 0)
                        for (int j = 0; j < p; j++) output[t][j] += input[t][j];
                }
                for (int t = 0; t < n; t++)
                    for (int j = 0; j < p; j++) result[l + 1][t][d * p + j] = output[t + 1][j];
                input = output;
            }
        }
        return result;
    }

    /// <summary>y [n] = b + x W for W [x.Length, n] row-major: y[j] = b[j] + x[0] W[0, j] + x[1] W[1, j] + ... (0 without b).</summary>
    private static T[] Affine(T[] x, float[] w, float[]? b, int n)
    {
        var y = new T[n];
        if (b is not null)
            for (int j = 0; j < n; j++) y[j] = W(b[j]);
        for (int i = 0; i < x.Length; i++)
        {
            T xi = x[i];
            int row = i * n;
            for (int j = 0; j < n; j++) y[j] += xi * W(w[row + j]);
        }
        return y;
    }

    private static T W(float v) => T.CreateTruncating(v);

    private static T Sigmoid(T v) => T.One / (T.One + T.Exp(-v));
}
