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
/// Only the argmax window of each (token, filter) receives gradient. Forward saves the embedded characters x
/// [N, W, E], the argmax positions [N, F] and the output y [N, F] (a <see cref="CharCnnCache"/>).
/// </summary>
internal sealed class CharCnn
{
    private readonly ParameterTensor embedding;
    private readonly (ParameterTensor Weight, ParameterTensor Bias, int Width, int Count, int Offset)[] banks;
    private readonly CharCnnActivation activation;

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
        var x = cache.Embedded.AsSpan(0, n * w * e);
        for (int q = 0; q < n * w; q++)
        {
            int id = charIds[q];
            if (id == 0) x.Slice(q * e, e).Clear();
            else table.Slice((id - 1) * e, e).CopyTo(x.Slice(q * e, e)); // saved row r is character id r + 1
        }
        var y = output[..(n * f)];
        foreach (var bank in banks)
            MaxOverTimeTraining.Forward(x, n, w, e, p.View(bank.Weight), bank.Width, p.View(bank.Bias),
                y[bank.Offset..], cache.ArgMax.AsSpan(bank.Offset), f);
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
        var x = cache.Embedded.AsSpan(0, n * w * e);
        var dx = cache.EmbeddedGradient.AsSpan(0, n * w * e);
        dx.Clear();
        foreach (var bank in banks)
            MaxOverTimeTraining.Backward(x, n, w, e, p.View(bank.Weight), bank.Width, cache.ArgMax.AsSpan(bank.Offset), dy[bank.Offset..], f,
                g.View(bank.Weight), g.View(bank.Bias), dx);
        var dTable = g.View(embedding);
        for (int q = 0; q < n * w; q++)
        {
            int id = charIds[q];
            if (id != 0) VectorOps.Add(dx.Slice(q * e, e), dTable.Slice((id - 1) * e, e));
        }
    }
}

/// <summary>What the character CNN's forward pass keeps for its backward pass, for up to a fixed number of tokens.</summary>
internal sealed class CharCnnCache(int tokens, int charsPerToken, int embeddingDim, int filters)
{
    /// <summary>x [N, W, E].</summary>
    public float[] Embedded { get; } = new float[tokens * charsPerToken * embeddingDim];

    /// <summary>Scratch dL/dx [N, W, E].</summary>
    public float[] EmbeddedGradient { get; } = new float[tokens * charsPerToken * embeddingDim];

    /// <summary>t* [N, F].</summary>
    public int[] ArgMax { get; } = new int[tokens * filters];

    /// <summary>y [N, F] after the activation.</summary>
    public float[] Output { get; } = new float[tokens * filters];
}
