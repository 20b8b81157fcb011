using ElmoNative.Checkpoints;
using ElmoNative.Kernels;

namespace ElmoNative.Layers;

/// <summary>
/// The character convolutions of Kim et al. (2016), spec section 3 steps 1-2: embed each of the W character ids of a
/// token (E wide), run every filter bank i as a valid 1-D convolution of width w_i over the W positions, take the
/// max over time, then the activation. The banks are concatenated into F = sum n_i values per token.
/// <para>
/// Pad-aware (the default): a token's row of ids ends in padding (id 261) after its few real characters, and every
/// window lying entirely in that padding gives the same sums, so only windows starting at a real character or a
/// word mark are computed, and the padding-only windows count through one per-filter constant computed at load.
/// The result is bit-identical to the plain convolution over all W positions (<see cref="PadAware"/> = false).
/// </para>
/// </summary>
internal sealed class CharCnn : IDisposable
{
    private readonly float[] embedding; // [262, E]: row 0 is the all-zero row for id 0 ("no token")
    private readonly Bank[] banks;
    private readonly CharCnnActivation activation;

    // Filter [w * E, n] as stored and packed; PaddingWindow [n]: sums of a window of padding characters (no bias).
    private sealed record Bank(float[] Filter, PackedMatrix Packed, float[] PaddingWindow, float[] Bias, int Width, int Count, int Offset);

    /// <summary>The shifted id of the padding character that fills a token's row after its end-of-word mark.</summary>
    private const int PaddingId = Text.CharacterIds.PaddingChar + 1;

    public CharCnn(ElmoOptions options, WeightSource weights)
    {
        CharsPerToken = options.MaxCharactersPerToken;
        EmbeddingDim = options.CharEmbeddingDim;
        activation = options.Activation;

        // The checkpoint stores 261 rows for ids 1..261; id 0 embeds to zeros (spec section 2).
        float[] saved = weights.Read(Checkpoints.CheckpointLayout.CharEmbedding);
        embedding = new float[(saved.Length / EmbeddingDim + 1) * EmbeddingDim];
        saved.CopyTo(embedding, EmbeddingDim);

        banks = new Bank[options.Filters.Count];
        int offset = 0;
        for (int i = 0; i < banks.Length; i++)
        {
            var f = options.Filters[i];
            // W_cnn_i is [1, w, E, n]: read as [w * E, n], the row index being k * E + e.
            float[] filter = weights.Read(Checkpoints.CheckpointLayout.ConvWeight(i));
            var packed = PackedMatrix.Pack(filter, f.Width * EmbeddingDim, f.Count, f.Count);
            var padding = new float[f.Width * EmbeddingDim];
            for (int k = 0; k < f.Width; k++) embedding.AsSpan(PaddingId * EmbeddingDim, EmbeddingDim).CopyTo(padding.AsSpan(k * EmbeddingDim));
            var paddingWindow = new float[f.Count];
            Convolution1D.WindowSums(padding, packed, paddingWindow);
            banks[i] = new Bank(filter, packed, paddingWindow, weights.Read(Checkpoints.CheckpointLayout.ConvBias(i)), f.Width, f.Count, offset);
            offset += f.Count;
        }
        Filters = offset;
    }

    /// <summary>W: characters per token.</summary>
    public int CharsPerToken { get; }

    /// <summary>E.</summary>
    public int EmbeddingDim { get; }

    /// <summary>F.</summary>
    public int Filters { get; }

    /// <summary>Whether windows of padding only are skipped (default); false runs the plain full convolution.</summary>
    public bool PadAware { get; set; } = true;

    /// <summary>Floats of workspace <see cref="Forward"/> needs for <paramref name="tokens"/> tokens.</summary>
    public int WorkspaceSize(int tokens) => tokens * CharsPerToken * EmbeddingDim;

    /// <summary>
    /// charIds [N, W] -> output [N, F]. workspace holds the embedded characters [N, W, E]; distinct receives, per token,
    /// the number of leading positions that are not padding [N].
    /// </summary>
    public void Forward(ReadOnlySpan<int> charIds, int tokens, Span<float> workspace, Span<int> distinct, Span<float> output)
    {
        int e = EmbeddingDim;
        var embedded = workspace[..WorkspaceSize(tokens)];
        for (int q = 0; q < tokens * CharsPerToken; q++)
            embedding.AsSpan(charIds[q] * e, e).CopyTo(embedded.Slice(q * e, e));

        for (int n = 0; n < tokens; n++)
        {
            var ids = charIds.Slice(n * CharsPerToken, CharsPerToken);
            int last = ids.Length - 1;
            while (last >= 0 && ids[last] == PaddingId) last--;
            distinct[n] = last + 1;
        }

        foreach (var bank in banks)
        {
            // y[t, f] = b[f] + sum_{k < w, e} x[t + k, e] W[k, e, f], then max over t.
            if (PadAware)
                Convolution1D.MaxOverTimePadded(embedded, tokens, CharsPerToken, e, distinct[..tokens], bank.Packed, bank.Width,
                    bank.PaddingWindow, bank.Bias, output[bank.Offset..], Filters);
            else
                Convolution1D.MaxOverTime(embedded, tokens, CharsPerToken, e, bank.Filter, bank.Width, bank.Bias,
                    output[bank.Offset..], Filters);
        }

        var all = output[..(tokens * Filters)];
        if (activation == CharCnnActivation.Relu) Activations.Relu(all, all);
        else Activations.Tanh(all, all);
    }

    /// <summary>Frees the packed filters.</summary>
    public void Dispose()
    {
        foreach (var bank in banks) bank.Packed.Dispose();
    }
}
