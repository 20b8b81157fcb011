using ElmoNative.Checkpoints;
using ElmoNative.Kernels;

namespace ElmoNative.Training.Layers;

/// <summary>
/// Character embedding, convolutions, max over time and activation (spec section 3 steps 1-2), for N tokens of W
/// character ids each; F = sum of the filter counts.
/// <code>
///   forward:  x[n, w] = char_embed[id - 1] (zeros for id 0, the "no token" padding id)
///             y[n, f] = act(b[f] + max_t sum_{k, e} x[n, t + k, e] W[k, e, f])        (t* = the argmax)
///   backward: dy_pre = dy act'(y)      (relu: [y &gt; 0]; tanh: 1 - y^2)
///             dW[k, e, f] += dy_pre[n, f] x[n, t* + k, e]    db[f] += dy_pre[n, f]
///             dx[n, t* + k, e] += dy_pre[n, f] W[k, e, f]   dchar_embed[id - 1] += dx[n, w]
/// </code>
/// Only the argmax window of each (token, filter) receives gradient. Forward saves the embedded characters x,
/// the argmax positions [N, F] and the output y [N, F] (a <see cref="CharCnnCache"/>).
/// <para>
/// Words are much shorter than W: a token is its characters followed by padding up to W (the same id repeated).
/// Every window that lies entirely in that repeated tail sees the same input, so it has the same value; the first such
/// window (t = len, len = the length before the tail) stands for all of them and the ones after it can never be the
/// (first) argmax. So each token is embedded only up to len + (widest filter) positions, the tokens are stored back to
/// back, and only windows t &lt;= len are convolved: the same maxima and argmaxes for a fraction of the work.
/// </para>
/// </summary>
internal sealed class CharCnn
{
    private readonly ParameterTensor embedding;
    private readonly (ParameterTensor Weight, ParameterTensor Bias, int Width, int Count, int Offset)[] banks;
    private readonly CharCnnActivation activation;
    private readonly int widest;

    public CharCnn(ElmoOptions options, ParameterLayout layout)
    {
        CharsPerToken = options.MaxCharactersPerToken;
        EmbeddingDim = options.CharEmbeddingDim;
        activation = options.Activation;
        embedding = layout[CheckpointLayout.CharEmbedding];
        banks = new (ParameterTensor, ParameterTensor, int, int, int)[options.Filters.Count];
        int offset = 0;
        for (int i = 0; i < banks.Length; i++)
        {
            // W_cnn_i is [1, w, E, n]: read as [w * E, n], row k * E + e.
            banks[i] = (layout[CheckpointLayout.ConvWeight(i)], layout[CheckpointLayout.ConvBias(i)], options.Filters[i].Width, options.Filters[i].Count, offset);
            offset += options.Filters[i].Count;
        }
        Filters = offset;
        widest = options.Filters.Max(filter => filter.Width);
    }

    /// <summary>W.</summary>
    public int CharsPerToken { get; }

    /// <summary>E.</summary>
    public int EmbeddingDim { get; }

    /// <summary>F.</summary>
    public int Filters { get; }

    /// <summary>charIds [n, W] -> output [n, F]; the cache keeps what backward needs.</summary>
    public void Forward(ParameterSet p, ReadOnlySpan<int> charIds, int n, CharCnnCache cache, Span<float> output)
    {
        int e = EmbeddingDim, w = CharsPerToken, f = Filters;
        var table = p.View(embedding);
        var starts = cache.Starts.AsSpan(0, n + 1);
        var lengths = cache.Lengths.AsSpan(0, n);
        starts[0] = 0;
        for (int s = 0; s < n; s++)
        {
            var ids = charIds.Slice(s * w, w);
            int len = w;
            while (len > 0 && ids[len - 1] == ids[w - 1]) len--;
            lengths[s] = len;
            starts[s + 1] = starts[s] + Math.Min(w, len + widest);
        }
        var x = cache.Embedded.AsSpan(0, starts[n] * e);
        for (int s = 0; s < n; s++)
            for (int q = 0, stored = starts[s + 1] - starts[s]; q < stored; q++)
            {
                int id = charIds[s * w + q];
                var row = x.Slice((starts[s] + q) * e, e);
                if (id == 0) row.Clear();
                else table.Slice((id - 1) * e, e).CopyTo(row); // saved row r is character id r + 1
            }
        var y = output[..(n * f)];
        var windows = cache.Windows.AsSpan(0, n);
        foreach (var bank in banks)
        {
            // Windows t < len touch a character; t = len is the first of the identical tail windows (if it fits).
            for (int s = 0; s < n; s++) windows[s] = Math.Min(lengths[s] + 1, w - bank.Width + 1);
            RaggedMaxOverTime.Forward(x, e, starts, windows, p.View(bank.Weight), bank.Width, p.View(bank.Bias),
                y[bank.Offset..], cache.ArgMax.AsSpan(bank.Offset), f);
        }
        if (activation == CharCnnActivation.Relu) Activations.Relu(y, y);
        else Activations.Tanh(y, y);
        y.CopyTo(cache.Output);
    }

    /// <summary>dOutput [n, F] (overwritten) -> parameter gradients accumulated into <paramref name="g"/>.</summary>
    public void Backward(ParameterSet p, ParameterSet g, ReadOnlySpan<int> charIds, int n, CharCnnCache cache, Span<float> dOutput)
    {
        int e = EmbeddingDim, w = CharsPerToken, f = Filters;
        var dy = dOutput[..(n * f)];
        var y = cache.Output.AsSpan(0, n * f);
        if (activation == CharCnnActivation.Relu) Gradients.ReluBackward(y, dy);
        else Gradients.TanhBackward(y, dy);
        var starts = cache.Starts.AsSpan(0, n + 1);
        var x = cache.Embedded.AsSpan(0, starts[n] * e);
        var dx = cache.EmbeddedGradient.AsSpan(0, starts[n] * e);
        dx.Clear();
        foreach (var bank in banks)
            RaggedMaxOverTime.Backward(x, e, starts, p.View(bank.Weight), bank.Width, cache.ArgMax.AsSpan(bank.Offset), dy[bank.Offset..], f,
                g.View(bank.Weight), g.View(bank.Bias), dx);
        var dTable = g.View(embedding);
        for (int s = 0; s < n; s++)
            for (int q = 0, stored = starts[s + 1] - starts[s]; q < stored; q++)
            {
                int id = charIds[s * w + q];
                if (id != 0) VectorOps.Add(dx.Slice((starts[s] + q) * e, e), dTable.Slice((id - 1) * e, e));
            }
    }
}

/// <summary>What the character CNN's forward pass keeps for its backward pass, for up to a fixed number of tokens.</summary>
internal sealed class CharCnnCache(int tokens, int charsPerToken, int embeddingDim, int filters)
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
