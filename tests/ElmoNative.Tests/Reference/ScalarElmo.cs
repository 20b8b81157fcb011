using System.Text;
using ElmoNative.Checkpoints;

namespace ElmoNative.Tests.Reference;

/// <summary>
/// The initial / final LSTM state of ONE sentence (one batch row), for every direction and layer (docs/model.md section 5).
/// Index <c>d * L + l</c>: direction d (0 forward, 1 backward), layer l. M is the output m [P], C the cell c [H].
/// </summary>
public sealed class ReferenceState
{
    public ReferenceState(double[][] m, double[][] c)
    {
        M = m;
        C = c;
    }

    public double[][] M { get; }

    public double[][] C { get; }

    /// <summary>The all-zero state every sentence starts from in stateless mode (and the first batch in stateful mode).</summary>
    public static ReferenceState Zero(ElmoOptions o)
    {
        int n = 2 * o.LstmLayers;
        var m = new double[n][];
        var c = new double[n][];
        for (int i = 0; i < n; i++)
        {
            m[i] = new double[o.ProjectionDim];
            c[i] = new double[o.LstmDim];
        }
        return new ReferenceState(m, c);
    }

    public ReferenceState Clone() =>
        new(M.Select(v => (double[])v.Clone()).ToArray(), C.Select(v => (double[])v.Clone()).ToArray());
}

/// <summary>What the clips did during a run: how often they changed a value, and the largest magnitude before clipping.</summary>
public sealed class ClipStatistics
{
    /// <summary>Cell values changed by cell_clip.</summary>
    public long CellClipped { get; set; }

    /// <summary>Output values changed by proj_clip.</summary>
    public long ProjectionClipped { get; set; }

    /// <summary>Largest |c| seen before clipping.</summary>
    public double MaxCellBeforeClip { get; set; }

    /// <summary>Largest |m| seen before clipping.</summary>
    public double MaxOutputBeforeClip { get; set; }
}

/// <summary>The result of one sentence: every layer with boundaries removed, and the final state.</summary>
/// <param name="Layers">[L + 1][n][2P]: layer 0 = [token, token], layer l + 1 = [forward output, backward output].</param>
/// <param name="Final">State after the sentence (forward: after its step on &lt;/S&gt;; backward: after its step on &lt;S&gt;).</param>
/// <param name="Clips">What the clips did.</param>
public sealed record ReferenceResult(double[][][] Layers, ReferenceState Final, ClipStatistics Clips);

/// <summary>The stages of one token representation (section 3).</summary>
/// <param name="CharCnn">After the convolutions, max over time and activation [F].</param>
/// <param name="Highways">After each highway layer [F].</param>
/// <param name="Projection">After the projection [P]; null when F == P (there is none).</param>
public sealed record ReferenceTokenStages(double[] CharCnn, double[][] Highways, double[]? Projection)
{
    /// <summary>The token representation: the projection, or the last highway (or the CNN) output when there is none.</summary>
    public double[] Representation => Projection ?? (Highways.Length > 0 ? Highways[^1] : CharCnn);
}

/// <summary>
/// A plain, double-precision implementation of the ELMo biLM written directly from docs/model.md
/// (docs/model.md, sections 2-5), one sentence at a time, with plain loops.
/// It shares no code with the library (no layers, no kernels, not even CharacterIds): it only reads the checkpoint's
/// tensors (as float32 values, widened to double) and the options.
/// </summary>
public sealed class ScalarElmo
{
    private readonly ElmoOptions o;
    private readonly int e, f, p, h, layers, width;

    // Weights, widened to double, stored flat in the checkpoint's own row-major layout; index formulas are at each use.
    private readonly double[] charEmbed;         // char_embed (261, E)
    private readonly double[][] convW, convB;    // CNN/W_cnn_i (1, w_i, E, n_i), CNN/b_cnn_i (n_i)
    private readonly double[][] carryW, carryB, transformW, transformB; // CNN_high_k/* (F, F), (F)
    private readonly double[]? projW, projB;     // CNN_proj/W_proj (F, P), b_proj (P)
    private readonly double[][] lstmW, lstmB;    // [d * L + l]: W_0 (2P, 4H), B (4H)
    private readonly double[]?[] lstmProj;       // [d * L + l]: W_P_0 (H, P) or null when H == P

    public ScalarElmo(Checkpoint checkpoint) : this(checkpoint.Options, name => checkpoint[name])
    {
    }

    public ScalarElmo(ElmoOptions options, Func<string, float[]> tensor)
    {
        o = options;
        e = o.CharEmbeddingDim;
        f = o.Filters.Sum(x => x.Count);
        p = o.ProjectionDim;
        h = o.LstmDim;
        layers = o.LstmLayers;
        width = o.MaxCharactersPerToken;

        double[] Read(string name) => tensor(name).Select(v => (double)v).ToArray();

        charEmbed = Read("char_embed");
        convW = new double[o.Filters.Count][];
        convB = new double[o.Filters.Count][];
        for (int i = 0; i < o.Filters.Count; i++)
        {
            convW[i] = Read($"CNN/W_cnn_{i}");
            convB[i] = Read($"CNN/b_cnn_{i}");
        }
        carryW = new double[o.HighwayLayers][];
        carryB = new double[o.HighwayLayers][];
        transformW = new double[o.HighwayLayers][];
        transformB = new double[o.HighwayLayers][];
        for (int k = 0; k < o.HighwayLayers; k++)
        {
            carryW[k] = Read($"CNN_high_{k}/W_carry");
            carryB[k] = Read($"CNN_high_{k}/b_carry");
            transformW[k] = Read($"CNN_high_{k}/W_transform");
            transformB[k] = Read($"CNN_high_{k}/b_transform");
        }
        // "CNN_proj ... (present when F != P)"
        if (f != p)
        {
            projW = Read("CNN_proj/W_proj");
            projB = Read("CNN_proj/b_proj");
        }
        lstmW = new double[2 * layers][];
        lstmB = new double[2 * layers][];
        lstmProj = new double[2 * layers][];
        for (int d = 0; d < 2; d++)
        {
            for (int l = 0; l < layers; l++)
            {
                string cell = $"RNN_{d}/RNN/MultiRNNCell/Cell{l}/LSTMCell";
                lstmW[d * layers + l] = Read(cell + "/W_0");
                lstmB[d * layers + l] = Read(cell + "/B");
                // "dim == projection_dim means an LSTM without projection: there is then no W_P_0 dataset."
                lstmProj[d * layers + l] = h != p ? Read(cell + "/W_P_0") : null;
            }
        }
    }

    public ElmoOptions Options => o;

    // ------------------------------------------------------------------------------------------------------------
    // Section 2: characters.
    // ------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// The <paramref name="width"/> character ids of a token, from the words of docs/model.md section 2:
    /// "ordinary token: its UTF-8 bytes, cut to the first 48 bytes (even mid-character), framed as [258, bytes..., 259],
    /// then padded with 260; &lt;S&gt;: [258, 256, 259, 260, 260, ...]; &lt;/S&gt;: [258, 257, 259, 260, ...];
    /// finally add 1 to every id." (48 = width - 2.)
    /// </summary>
    public static int[] CharacterIds(string token, int width)
    {
        var raw = new List<int> { 258 };
        if (token == "<S>") raw.Add(256);
        else if (token == "</S>") raw.Add(257);
        else
        {
            byte[] bytes = Encoding.UTF8.GetBytes(token);
            for (int k = 0; k < bytes.Length && k < width - 2; k++) raw.Add(bytes[k]);
        }
        raw.Add(259);
        while (raw.Count < width) raw.Add(260);
        return raw.Select(id => id + 1).ToArray();
    }

    // ------------------------------------------------------------------------------------------------------------
    // Section 3: context-independent token representation.
    // ------------------------------------------------------------------------------------------------------------

    /// <summary>The P-wide representation of one token (section 3).</summary>
    public double[] TokenRepresentation(string token) => TokenRepresentationFromIds(CharacterIds(token, width));

    /// <summary>Section 3, steps 1-4, for a row of <see cref="ElmoOptions.MaxCharactersPerToken"/> shifted ids.</summary>
    public double[] TokenRepresentationFromIds(int[] ids) => TokenStagesFromIds(ids).Representation;

    /// <summary>Section 3 stage by stage, for the per-tensor comparison: char CNN [F], each highway [F], projection [P].</summary>
    public ReferenceTokenStages TokenStages(string token) => TokenStagesFromIds(CharacterIds(token, width));

    /// <summary><see cref="TokenStages(string)"/> for a row of shifted ids.</summary>
    public ReferenceTokenStages TokenStagesFromIds(int[] ids)
    {
        // 1. x = embedding of its W ids: W x E. "The embedding used at run time is char_embed with a zero row prepended,
        //    so id 0 embeds to zeros": id r >= 1 is row r - 1 of char_embed.
        var x = new double[width, e];
        for (int t = 0; t < width; t++)
            for (int k = 0; k < e; k++)
                x[t, k] = ids[t] == 0 ? 0.0 : charEmbed[(ids[t] - 1) * e + k];

        // 2. For each filter bank i: y[t, f] = b[f] + sum over k<w, e<E of x[t+k, e] * W[0, k, e, f] for t in 0..W-w;
        //    max over t, then the activation. Banks concatenated: F values.
        var hw = new double[f];
        int offset = 0;
        for (int i = 0; i < o.Filters.Count; i++)
        {
            int w = o.Filters[i].Width, n = o.Filters[i].Count;
            for (int q = 0; q < n; q++)
            {
                double best = double.NegativeInfinity;
                for (int t = 0; t + w <= width; t++)
                {
                    double y = convB[i][q];
                    for (int k = 0; k < w; k++)
                        for (int c = 0; c < e; c++)
                            y += x[t + k, c] * convW[i][(k * e + c) * n + q]; // W[0, k, c, q] of shape (1, w, E, n)
                    best = Math.Max(best, y);
                }
                hw[offset + q] = o.Activation == CharCnnActivation.Relu ? Math.Max(best, 0.0) : Math.Tanh(best);
            }
            offset += n;
        }

        // 3. Highway layer k: g = sigmoid(h W_carry + b_carry), t = relu(h W_transform + b_transform),
        //    h = g * t + (1 - g) * h.
        var cnn = hw;
        var highways = new double[o.HighwayLayers][];
        for (int layer = 0; layer < o.HighwayLayers; layer++)
        {
            var next = new double[f];
            for (int j = 0; j < f; j++)
            {
                double g = carryB[layer][j], t = transformB[layer][j];
                for (int i = 0; i < f; i++)
                {
                    g += hw[i] * carryW[layer][i * f + j];
                    t += hw[i] * transformW[layer][i * f + j];
                }
                g = Sigmoid(g);
                t = Math.Max(t, 0.0);
                next[j] = g * t + (1 - g) * hw[j];
            }
            hw = next;
            highways[layer] = hw;
        }

        // 4. Projection: h W_proj + b_proj (P values); none when F == P.
        if (projW is null) return new ReferenceTokenStages(cnn, highways, null);
        var result = new double[p];
        for (int j = 0; j < p; j++)
        {
            double s = projB![j];
            for (int i = 0; i < f; i++) s += hw[i] * projW[i * p + j];
            result[j] = s;
        }
        return new ReferenceTokenStages(cnn, highways, result);
    }

    // ------------------------------------------------------------------------------------------------------------
    // Section 4 (and 5): the LSTM layers over one sentence.
    // ------------------------------------------------------------------------------------------------------------

    /// <summary>
    /// Runs one sentence of n tokens as n + 2 steps (&lt;S&gt;, tokens, &lt;/S&gt;) from <paramref name="initial"/>
    /// (zeros when null). A sentence with no tokens does nothing: no output, state unchanged (section 5).
    /// </summary>
    public ReferenceResult Run(IReadOnlyList<string> tokens, ReferenceState? initial = null)
    {
        if (tokens.Count == 0) return RunFromRepresentations([], initial);
        var steps = new List<double[]> { TokenRepresentation("<S>") };
        foreach (var token in tokens) steps.Add(TokenRepresentation(token));
        steps.Add(TokenRepresentation("</S>"));
        return RunFromRepresentations(steps, initial);
    }

    /// <summary>
    /// The LSTM part of <see cref="Run"/>, given the layer-0 input of every step, boundaries included
    /// (n + 2 vectors of P values, or none for an empty sentence).
    /// </summary>
    public ReferenceResult RunFromRepresentations(IReadOnlyList<double[]> steps, ReferenceState? initial = null)
    {
        var state = initial?.Clone() ?? ReferenceState.Zero(o);
        var clips = new ClipStatistics();
        int total = steps.Count, n = Math.Max(0, total - 2);
        var result = new double[layers + 1][][];
        for (int l = 0; l <= layers; l++)
        {
            result[l] = new double[n][];
            for (int t = 0; t < n; t++) result[l][t] = new double[2 * p];
        }
        if (total == 0) return new ReferenceResult(result, state, clips);

        // Layer 0 of the output is the token representation written twice, [h, h] (boundaries removed).
        for (int t = 0; t < n; t++)
            for (int j = 0; j < p; j++)
                result[0][t][j] = result[0][t][p + j] = steps[t + 1][j];

        for (int d = 0; d < 2; d++)
        {
            // The input of layer 0 is the token representation; direction 1 runs right to left over the same steps.
            double[][] input = steps.Select(v => (double[])v.Clone()).ToArray();
            for (int l = 0; l < layers; l++)
            {
                double[] m = state.M[d * layers + l], c = state.C[d * layers + l];
                var output = new double[total][];
                for (int s = 0; s < total; s++)
                {
                    int t = d == 0 ? s : total - 1 - s; // position of the s-th step of this direction
                    LstmStep(d, l, input[t], m, c, clips);
                    output[t] = (double[])m.Clone();
                    // "With use_skip_connections, the output of every layer l > 0 has its input added
                    //  (output_t = m + x_t); the state m carried to the next step is the plain m."
                    if (o.UseSkipConnections && l > 0)
                        for (int j = 0; j < p; j++) output[t][j] += input[t][j];
                }
                // "Layer l + 1 of the result is [forward output, backward output]."
                for (int t = 0; t < n; t++)
                    for (int j = 0; j < p; j++) result[l + 1][t][d * p + j] = output[t + 1][j];
                input = output; // the input of layer l + 1 is the output of layer l of the same direction
            }
        }
        return new ReferenceResult(result, state, clips);
    }

    /// <summary>One LSTM step (section 4), updating m [P] and c [H] in place.</summary>
    private void LstmStep(int d, int l, double[] x, double[] m, double[] c, ClipStatistics clips)
    {
        double[] w = lstmW[d * layers + l], b = lstmB[d * layers + l];
        int g4 = 4 * h;

        // z = [x_t, m] W_0 + B (4H); W_0 is (P + P, 4H): rows 0..P-1 for the input, rows P..2P-1 for m.
        var z = new double[g4];
        for (int k = 0; k < g4; k++)
        {
            double s = b[k];
            for (int i = 0; i < p; i++) s += x[i] * w[i * g4 + k];
            for (int i = 0; i < p; i++) s += m[i] * w[(p + i) * g4 + k];
            z[k] = s;
        }

        // Split z into i, j, f, o in that order (H each).
        // c = sigmoid(f + 1.0) * c + sigmoid(i) * tanh(j); c = clip(c, -cell_clip, cell_clip).
        var hidden = new double[h];
        for (int u = 0; u < h; u++)
        {
            double gi = z[u], gj = z[h + u], gf = z[2 * h + u], go = z[3 * h + u];
            double cu = Sigmoid(gf + 1.0) * c[u] + Sigmoid(gi) * Math.Tanh(gj);
            clips.MaxCellBeforeClip = Math.Max(clips.MaxCellBeforeClip, Math.Abs(cu));
            if (o.CellClip is { } cc && Math.Abs(cu) > cc)
            {
                cu = Math.Clamp(cu, -cc, cc);
                clips.CellClipped++;
            }
            c[u] = cu;
            hidden[u] = Sigmoid(go) * Math.Tanh(cu);
        }

        // m = (sigmoid(o) * tanh(c)) W_P_0 (no product if there is no projection); m = clip(m, -proj_clip, proj_clip).
        double[]? wp = lstmProj[d * layers + l];
        for (int j = 0; j < p; j++)
        {
            double s;
            if (wp is null) s = hidden[j];
            else
            {
                s = 0;
                for (int u = 0; u < h; u++) s += hidden[u] * wp[u * p + j];
            }
            clips.MaxOutputBeforeClip = Math.Max(clips.MaxOutputBeforeClip, Math.Abs(s));
            if (o.ProjectionClip is { } pc && Math.Abs(s) > pc)
            {
                s = Math.Clamp(s, -pc, pc);
                clips.ProjectionClipped++;
            }
            m[j] = s;
        }
    }

    private static double Sigmoid(double v) => 1.0 / (1.0 + Math.Exp(-v));
}
