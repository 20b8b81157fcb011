using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Parameters;

namespace ElmoNative.Layers;

/// <summary>
/// The character convolutions of Kim et al. (2016), docs/model.md section 3 steps 1-2: embed each of the W character ids of a
/// token (E wide), run every filter bank i as a valid 1-D convolution of width w_i over the W positions, take the
/// max over time, then the activation. The banks are concatenated into F = sum n_i values per token.
/// <code>
///   forward:  x[n, w] = char_embed[id - 1] (zeros for id 0, the "no token" padding id)
///             y[n, f] = act(b[f] + max_t sum_{k, e} x[n, t + k, e] W[k, e, f])        (t* = the argmax)
///   backward: dy_pre = dy act'(y)      (relu: [y &gt; 0]; tanh: 1 - y^2)
///             dW[k, e, f] += dy_pre[n, f] x[n, t* + k, e]    db[f] += dy_pre[n, f]
///             dx[n, t* + k, e] += dy_pre[n, f] W[k, e, f]   dchar_embed[id - 1] += dx[n, w]
/// </code>
/// Only the argmax window of each (token, filter) receives gradient. A token's row of ids is its characters followed by
/// padding up to W, and every window lying entirely in that padding gives the same sums; both modes use that:
/// <list type="bullet">
/// <item>inference: the embedding is folded into the filters (<see cref="FoldedConvolution"/>): the response of each
/// character id to each tap of each filter, sum_e x[id, e] W[k, e, f], is computed once (in float64, rounded once) the
/// first time the id is seen, and a window's sum is then the sum of its characters' responses, one add per tap instead
/// of E multiply-adds. Only windows starting at a real character or a word mark are summed; the padding-only windows
/// count through one per-filter constant (<see cref="PadAware"/>; the same bits as summing every window);</item>
/// <item>training: each token is embedded only up to len + (widest filter) positions (len = its length before the
/// repeated tail), the tokens are stored back to back, and only windows t &lt;= len are convolved (the first tail window
/// stands for all of them, the later ones can never be the first argmax). Forward saves the embedded characters, the
/// argmax positions and the output (a <see cref="CharCnnSaved"/>).</item>
/// </list>
/// </summary>
internal sealed class CharCnn : IDisposable
{
    private readonly Weight embedding; // char_embed [261, E]: row r is character id r + 1 (id 0 embeds to zeros)
    private readonly Bank[] banks;
    private readonly CharCnnActivation activation;
    private readonly int widest;

    // Filter [w * E, n] (W_cnn_i [1, w, E, n], row k * E + e).
    private sealed record Bank(Weight Filter, Weight Bias, int Width, int Count, int Offset);

    // Inference only: the banks folded over the character embedding, and their biases side by side [F].
    private readonly FoldedConvolution? folded;
    private readonly float[]? biases;

    /// <summary>The shifted id of the padding character that fills a token's row after its end-of-word mark.</summary>
    private const int PaddingId = Text.CharacterIds.PaddingChar + 1;

    public CharCnn(ElmoOptions options, LayerWeights weights)
    {
        CharsPerToken = options.MaxCharactersPerToken;
        EmbeddingDim = options.CharEmbeddingDim;
        activation = options.Activation;
        embedding = weights.Tensor(CheckpointLayout.CharEmbedding);

        banks = new Bank[options.Filters.Count];
        int offset = 0;
        for (int i = 0; i < banks.Length; i++)
        {
            var f = options.Filters[i];
            banks[i] = new Bank(weights.Tensor(CheckpointLayout.ConvWeight(i)), weights.Tensor(CheckpointLayout.ConvBias(i)), f.Width, f.Count, offset);
            offset += f.Count;
        }
        Filters = offset;
        widest = options.Filters.Max(filter => filter.Width);
        if (!weights.Trainable)
        {
            // Rows by id: id 0 (no character) embeds to zeros, id r + 1 to char_embed row r.
            int rows = embedding.Values.Length / EmbeddingDim;
            float[] byId = new float[(rows + 1) * EmbeddingDim];
            embedding.Values[..(rows * EmbeddingDim)].CopyTo(byId.AsSpan(EmbeddingDim));
            folded = new FoldedConvolution(byId, rows + 1, EmbeddingDim, [.. banks.Select(b => new ConvolutionBank(b.Filter.Values.ToArray(), b.Width, b.Count))],
                CharsPerToken, PaddingId);
            biases = [.. banks.SelectMany(b => b.Bias.Values.ToArray())];
        }
    }

    /// <summary>W: characters per token.</summary>
    public int CharsPerToken { get; }

    /// <summary>E.</summary>
    public int EmbeddingDim { get; }

    /// <summary>F.</summary>
    public int Filters { get; }

    /// <summary>Whether inference sums only the windows that start before the padding (default); false sums every window (the same bits).</summary>
    public bool PadAware { get; set; } = true;

    /// <summary>Inference: charIds [N, W] -> output [N, F].</summary>
    public void Forward(ReadOnlySpan<int> charIds, int tokens, Span<float> output)
    {
        if (folded is null) throw new InvalidOperationException("the inference forward needs a model loaded for inference (its weights not trainable)");
        // y[t, f] = b[f] + sum_k R[id(t + k), k, f], then max over t (docs/model.md section 3 step 1).
        folded.MaxOverTime(charIds, tokens, biases, output, Filters, skipPadding: PadAware);
        Activate(output[..(tokens * Filters)]);
    }

    /// <summary>Training: charIds [n, W] -> output [n, F]; <paramref name="saved"/> keeps what backward needs.</summary>
    public void Forward(ReadOnlySpan<int> charIds, int n, CharCnnSaved saved, Span<float> output)
    {
        int e = EmbeddingDim, w = CharsPerToken, f = Filters;
        var starts = saved.Starts.AsSpan(0, n + 1);
        var lengths = saved.Lengths.AsSpan(0, n);
        starts[0] = 0;
        for (int s = 0; s < n; s++)
        {
            var ids = charIds.Slice(s * w, w);
            int len = w;
            while (len > 0 && ids[len - 1] == ids[w - 1]) len--;
            lengths[s] = len;
            starts[s + 1] = starts[s] + Math.Min(w, len + widest);
        }
        var x = saved.Embedded.AsSpan(0, starts[n] * e);
        var table = embedding.Values;
        for (int s = 0; s < n; s++)
            for (int q = 0, stored = starts[s + 1] - starts[s]; q < stored; q++)
                Embed(table, charIds[s * w + q], x.Slice((starts[s] + q) * e, e));
        var y = output[..(n * f)];
        var windows = saved.Windows.AsSpan(0, n);
        foreach (var bank in banks)
        {
            // Windows t < len touch a character; t = len is the first of the identical tail windows (if it fits).
            for (int s = 0; s < n; s++) windows[s] = Math.Min(lengths[s] + 1, w - bank.Width + 1);
            RaggedMaxOverTime.Forward(x, e, starts, windows, bank.Filter.Values, bank.Width, bank.Bias.Values,
                y[bank.Offset..], saved.ArgMax.AsSpan(bank.Offset), f);
        }
        Activate(y);
        y.CopyTo(saved.Output);
    }

    /// <summary>Training: dOutput [n, F] (overwritten) -> weight gradients added to the weights' gradients.</summary>
    public void Backward(ReadOnlySpan<int> charIds, int n, CharCnnSaved saved, Span<float> dOutput)
    {
        int e = EmbeddingDim, w = CharsPerToken, f = Filters;
        var dy = dOutput[..(n * f)];
        var y = saved.Output.AsSpan(0, n * f);
        if (activation == CharCnnActivation.Relu) Gradients.ReluBackward(y, dy);
        else Gradients.TanhBackward(y, dy);
        var starts = saved.Starts.AsSpan(0, n + 1);
        var x = saved.Embedded.AsSpan(0, starts[n] * e);
        var dx = saved.EmbeddedGradient.AsSpan(0, starts[n] * e);
        dx.Clear();
        foreach (var bank in banks)
            RaggedMaxOverTime.Backward(x, e, starts, bank.Filter.Values, bank.Width, saved.ArgMax.AsSpan(bank.Offset), dy[bank.Offset..], f,
                bank.Filter.Gradient, bank.Bias.Gradient, dx);
        var dTable = embedding.Gradient;
        for (int s = 0; s < n; s++)
            for (int q = 0, stored = starts[s + 1] - starts[s]; q < stored; q++)
            {
                int id = charIds[s * w + q];
                if (id != 0) VectorOps.Add(dx.Slice((starts[s] + q) * e, e), dTable.Slice((id - 1) * e, e));
            }
    }

    /// <summary>Frees the folded responses.</summary>
    public void Dispose() => folded?.Dispose();

    /// <summary>row [E] = the embedding of character id <paramref name="id"/> in <paramref name="table"/> [261, E] (zeros for id 0).</summary>
    private static void Embed(ReadOnlySpan<float> table, int id, Span<float> row)
    {
        if (id == 0) row.Clear();
        else table.Slice((id - 1) * row.Length, row.Length).CopyTo(row);
    }

    private void Activate(Span<float> y)
    {
        if (activation == CharCnnActivation.Relu) Activations.Relu(y, y);
        else Activations.Tanh(y, y);
    }
}

/// <summary>What the character CNN's training forward pass keeps for its backward pass (and backward's scratch), for up to a fixed number of tokens.</summary>
internal sealed class CharCnnSaved(int tokens, int charsPerToken, int embeddingDim, int filters)
{
    /// <summary>x: the first positions of each token, back to back [Starts[N], E] (at most [N * W, E]).</summary>
    public float[] Embedded { get; } = new float[tokens * charsPerToken * embeddingDim];

    /// <summary>[N + 1]: where token s starts in <see cref="Embedded"/> (in positions).</summary>
    public int[] Starts { get; } = new int[tokens + 1];

    /// <summary>[N]: characters before the repeated padding tail of each token.</summary>
    public int[] Lengths { get; } = new int[tokens];

    /// <summary>[N]: scratch, windows to convolve per token for one filter width.</summary>
    public int[] Windows { get; } = new int[tokens];

    /// <summary>Scratch dL/dx, laid out as <see cref="Embedded"/>.</summary>
    public float[] EmbeddedGradient { get; } = new float[tokens * charsPerToken * embeddingDim];

    /// <summary>t* [N, F].</summary>
    public int[] ArgMax { get; } = new int[tokens * filters];

    /// <summary>y [N, F] after the activation.</summary>
    public float[] Output { get; } = new float[tokens * filters];
}
