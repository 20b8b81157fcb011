namespace ElmoNative;

/// <summary>
/// The task-specific combination of the biLM layers (Peters et al. 2018, equation 1; docs/model.md section 6):
/// ELMo = gamma * sum_k s_k * h_k, with s = softmax(w) for learned mixes. With layer normalization, each h_k is first
/// normalized by the mean and variance of all its non-padded elements in the batch. <see cref="Mix(ElmoBatchOutput, Span{float})"/>
/// is the forward pass, <see cref="Backward"/> beside it gives the gradients of the mix's own parameters.
/// </summary>
public sealed class ScalarMix
{
    /// <summary>Epsilon added to the variance in layer normalization (AllenNLP's value).</summary>
    public const float LayerNormEpsilon = 1e-12f;

    private readonly float[] weights;

    private ScalarMix(float[] weights, float gamma, bool layerNorm)
    {
        this.weights = weights;
        Gamma = gamma;
        LayerNorm = layerNorm;
    }

    /// <summary>The normalized mixing weights s_k, one per layer.</summary>
    public IReadOnlyList<float> Weights => weights;

    /// <summary>The overall scale gamma.</summary>
    public float Gamma { get; }

    /// <summary>Whether each layer is normalized before mixing.</summary>
    public bool LayerNorm { get; }

    /// <summary>Number of layers this mix expects (L + 1).</summary>
    public int LayerCount => weights.Length;

    /// <summary>Only the last layer.</summary>
    public static ScalarMix Top(int layers)
    {
        var s = new float[layers];
        s[^1] = 1;
        return new ScalarMix(s, 1, false);
    }

    /// <summary>Equal weights 1 / (L + 1), gamma 1.</summary>
    public static ScalarMix Average(int layers)
    {
        var s = new float[layers];
        Array.Fill(s, 1f / layers);
        return new ScalarMix(s, 1, false);
    }

    /// <summary>Fixed mixing weights s_k used as given (not passed through softmax).</summary>
    public static ScalarMix FromWeights(IReadOnlyList<float> weights, float gamma = 1, bool layerNorm = false) =>
        new(weights.ToArray(), gamma, layerNorm);

    /// <summary>
    /// Learned parameters as AllenNLP stores them: s = softmax(<paramref name="parameters"/>), scaled by gamma.
    /// AllenNLP starts with all parameters 0 and gamma 1.
    /// </summary>
    public static ScalarMix FromParameters(IReadOnlyList<float> parameters, float gamma = 1, bool layerNorm = false)
    {
        double max = parameters.Max();
        var exp = parameters.Select(w => Math.Exp(w - max)).ToArray();
        double sum = exp.Sum();
        return new ScalarMix(exp.Select(v => (float)(v / sum)).ToArray(), gamma, layerNorm);
    }

    /// <summary>Mixes a batch into [B, T, D] (zero past each sentence's end).</summary>
    public float[] Mix(ElmoBatchOutput batch)
    {
        var result = new float[batch.Count * batch.MaxLength * batch.Dim];
        Mix(batch, result);
        return result;
    }

    /// <summary>Mixes a batch into <paramref name="output"/> [B, T, D] (zero past each sentence's end).</summary>
    public void Mix(ElmoBatchOutput batch, Span<float> output)
    {
        if (batch.LayerCount != weights.Length)
            throw new ArgumentException($"the mix has {weights.Length} weights but the batch has {batch.LayerCount} layers", nameof(batch));
        int d = batch.Dim, t = batch.MaxLength;
        output[..(batch.Count * t * d)].Clear();
        for (int k = 0; k < weights.Length; k++)
        {
            double mean = 0, inverseStd = 1;
            if (LayerNorm) (mean, inverseStd) = Moments(batch, k);
            float scale = (float)(Gamma * weights[k] * inverseStd);
            float shift = (float)(mean);
            for (int b = 0; b < batch.Count; b++)
            {
                var h = batch.Layer(b, k);
                var y = output.Slice(b * t * d, h.Length);
                for (int i = 0; i < h.Length; i++) y[i] += scale * (h[i] - shift);
            }
        }
    }

    /// <summary>
    /// The backward pass of <see cref="Mix(ElmoBatchOutput, Span{float})"/>, for training the mix on a downstream task
    /// (the biLM layers h_k are constants): from <paramref name="dOutput"/> [B, T, D] = dL/dy, the gradients of gamma,
    /// of the weights s_k, and of the parameters w that <see cref="FromParameters"/> maps to s = softmax(w).
    /// <code>
    ///   forward:  y = gamma sum_k s_k n_k        (n_k = h_k, or (h_k - mean_k) / std_k with layer normalization)
    ///   backward: dgamma = sum_k s_k (dy . n_k)   ds_k = gamma (dy . n_k)   dw_j = s_j (ds_j - sum_k s_k ds_k)
    /// </code>
    /// Positions past each sentence's end take no part (the forward writes zeros there).
    /// </summary>
    /// <param name="batch">The batch that was mixed.</param>
    /// <param name="dOutput">dL/dy [B, T, D], laid out as the mixed output.</param>
    public ScalarMixGradient Backward(ElmoBatchOutput batch, ReadOnlySpan<float> dOutput)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.LayerCount != weights.Length)
            throw new ArgumentException($"the mix has {weights.Length} weights but the batch has {batch.LayerCount} layers", nameof(batch));
        int d = batch.Dim, t = batch.MaxLength;
        if (dOutput.Length < batch.Count * t * d)
            throw new ArgumentException($"dOutput has {dOutput.Length} values, the mixed batch {batch.Count * t * d}", nameof(dOutput));
        var dots = new double[weights.Length]; // dy . n_k
        double dGamma = 0, mean = 0;
        for (int k = 0; k < weights.Length; k++)
        {
            double shift = 0, inverseStd = 1;
            if (LayerNorm) (shift, inverseStd) = Moments(batch, k);
            double dot = 0;
            for (int b = 0; b < batch.Count; b++)
            {
                var h = batch.Layer(b, k);
                var dy = dOutput.Slice(b * t * d, h.Length);
                for (int i = 0; i < h.Length; i++) dot += dy[i] * (h[i] - shift);
            }
            dots[k] = dot * inverseStd;
            dGamma += weights[k] * dots[k];
            mean += weights[k] * Gamma * dots[k]; // sum_k s_k ds_k
        }
        var dWeights = new float[weights.Length];
        var dParameters = new float[weights.Length];
        for (int k = 0; k < weights.Length; k++)
        {
            dWeights[k] = (float)(Gamma * dots[k]);
            dParameters[k] = (float)(weights[k] * (Gamma * dots[k] - mean));
        }
        return new ScalarMixGradient((float)dGamma, dWeights, dParameters);
    }

    /// <summary>Mean and 1 / sqrt(variance + eps) of layer k over all real tokens and features.</summary>
    private static (double Mean, double InverseStd) Moments(ElmoBatchOutput batch, int k)
    {
        double sum = 0;
        long count = 0;
        for (int b = 0; b < batch.Count; b++)
        {
            foreach (float v in batch.Layer(b, k)) sum += v;
            count += batch.Lengths[b] * batch.Dim;
        }
        if (count == 0) return (0, 1);
        double mean = sum / count, squares = 0;
        for (int b = 0; b < batch.Count; b++)
            foreach (float v in batch.Layer(b, k)) squares += (v - mean) * (v - mean);
        return (mean, 1 / Math.Sqrt(squares / count + LayerNormEpsilon));
    }
}
