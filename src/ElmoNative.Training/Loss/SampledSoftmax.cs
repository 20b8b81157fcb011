using ElmoNative.Kernels;

namespace ElmoNative.Training.Loss;

/// <summary>
/// TensorFlow's <c>sampled_softmax_loss</c> (Jean et al. 2015) with <c>remove_accidental_hits=True</c>, for N positions
/// with outputs x [N, P] and targets y_n, against S sampled classes s_j (a <see cref="LogUniformSampler"/> draw):
/// <code>
///   forward:  true logit   l_n   = x_n . W[y_n] + b[y_n] - log Q(y_n)
///             sampled      l_nj  = x_n . W[s_j] + b[s_j] - log Q(s_j)      (-inf where s_j == y_n: accidental hit)
///             loss_n = logsumexp(l_n, l_n1 .. l_nS) - l_n
///   backward: with p = softmax over (l_n, l_n1 ..) and the caller's scale a:
///             dl_n = a (p_true - 1)   dl_nj = a p_j
///             dx_n = dl_n W[y_n] + sum_j dl_nj W[s_j]    dW[y_n] += dl_n x_n   dW[s_j] += sum_n dl_nj x_n
///             db[y_n] += dl_n    db[s_j] += sum_n dl_nj
/// </code>
/// The sampled part is two GEMMs over all N positions: [N, P] x [P, S] and back. Positions whose target is -1 are
/// padding: no loss, no gradient. The gathered weights and the logits are kept from forward for backward.
/// </summary>
internal sealed class SampledSoftmax
{
    private readonly int dim;
    private readonly float[] sampledWeights; // W[s_j] [S, P]
    private readonly float[] sampledBias;    // b[s_j] - log Q(s_j) [S]
    private readonly float[] logits;         // [N, S], then the gradients dl_nj
    private readonly float[] trueLogits;     // [N], then dl_n
    private readonly float[] sampledWeightGradient; // [S, P]
    private readonly int rows;

    public SampledSoftmax(int rows, int dim, LogUniformSampler sampler)
    {
        this.rows = rows;
        this.dim = dim;
        Sampler = sampler;
        int s = sampler.Samples;
        sampledWeights = new float[s * dim];
        sampledBias = new float[s];
        logits = new float[(long)rows * s <= int.MaxValue ? rows * s : throw new ArgumentException("N x S is too large")];
        trueLogits = new float[rows];
        sampledWeightGradient = new float[s * dim];
    }

    /// <summary>The sampler whose last draw is used.</summary>
    public LogUniformSampler Sampler { get; }

    /// <summary>
    /// Draws the sample for <paramref name="key"/>, computes the losses and leaves the gradients of (scale x sum of losses)
    /// w.r.t. the logits ready for <see cref="Backward"/>. Returns the sum of the losses and the number of positions.
    /// </summary>
    public (double Sum, int Count) Forward(ulong key, ReadOnlySpan<float> x, ReadOnlySpan<int> targets, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> bias, float scale)
    {
        var sampler = Sampler;
        sampler.Sample(key);
        int s = sampler.Samples, p = dim, n = targets.Length;
        if (n > rows) throw new ArgumentException("more positions than the softmax was sized for");
        for (int j = 0; j < s; j++)
        {
            int id = sampler.Ids[j];
            weight.Slice(id * p, p).CopyTo(sampledWeights.AsSpan(j * p, p));
            sampledBias[j] = bias[id] - (float)Math.Log(sampler.ExpectedCount(id));
        }
        var l = logits.AsSpan(0, n * s);
        Sgemm.Multiply(Transpose.No, Transpose.Yes, n, s, p, 1f, x, p, sampledWeights, p, 0f, l, s);
        Activations.AddRowVector(sampledBias, l, n, s);

        double sum = 0;
        int count = 0;
        for (int r = 0; r < n; r++)
        {
            var row = l.Slice(r * s, s);
            int y = targets[r];
            if (y < 0)
            {
                row.Clear();
                trueLogits[r] = 0f;
                continue;
            }
            float tl = Dot(x.Slice(r * p, p), weight.Slice(y * p, p)) + bias[y] - (float)Math.Log(sampler.ExpectedCount(y));
            int hit = sampler.PositionOf(y);
            if (hit >= 0) row[hit] = float.NegativeInfinity;
            float max = MathF.Max(tl, System.Numerics.Tensors.TensorPrimitives.Max(row));
            System.Numerics.Tensors.TensorPrimitives.Subtract(row, max, row);
            Activations.Exp(row, row);
            float eTrue = MathF.Exp(tl - max);
            double total = eTrue + (double)Activations.Sum(row);
            sum += Math.Log(total) - (tl - max);
            count++;
            float inv = (float)(scale / total);
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, inv, row);
            trueLogits[r] = (float)(scale * (eTrue / total - 1.0));
        }
        return (sum, count);
    }

    /// <summary>
    /// Accumulates into dx [N, P] (dx += ...) and computes the gradients of the sampled rows of the softmax, which
    /// <see cref="AddParameterGradients"/> then adds to dW, db (a separate call so that two directions can run this part
    /// at the same time and add to the shared softmax gradient one after the other).
    /// </summary>
    public void Backward(ReadOnlySpan<float> x, ReadOnlySpan<int> targets, ReadOnlySpan<float> weight, Span<float> dx)
    {
        var sampler = Sampler;
        int s = sampler.Samples, p = dim, n = targets.Length;
        var dl = logits.AsSpan(0, n * s);
        Sgemm.Multiply(Transpose.No, Transpose.No, n, p, s, 1f, dl, s, sampledWeights, p, 1f, dx, p);
        var dws = sampledWeightGradient.AsSpan(0, s * p);
        Sgemm.Multiply(Transpose.Yes, Transpose.No, s, p, n, 1f, dl, s, x, p, 0f, dws, p);
        var dbs = sampledBias.AsSpan(0, s); // the biases are no longer needed: reuse as the column sums
        dbs.Clear();
        Gradients.AddColumnSums(dl, n, s, dbs);
        for (int r = 0; r < n; r++)
        {
            int y = targets[r];
            if (y >= 0) VectorOps.MultiplyAdd(weight.Slice(y * p, p), trueLogits[r], dx.Slice(r * p, p));
        }
    }

    /// <summary>The softmax gradients of the last <see cref="Backward"/>: dW [V, P] and db [V] += (sampled rows, then true classes).</summary>
    public void AddParameterGradients(ReadOnlySpan<float> x, ReadOnlySpan<int> targets, Span<float> weightGradient, Span<float> biasGradient)
    {
        var sampler = Sampler;
        int s = sampler.Samples, p = dim, n = targets.Length;
        var dws = sampledWeightGradient.AsSpan(0, s * p);
        var dbs = sampledBias.AsSpan(0, s);
        for (int j = 0; j < s; j++)
        {
            int id = sampler.Ids[j];
            VectorOps.Add(dws.Slice(j * p, p), weightGradient.Slice(id * p, p));
            biasGradient[id] += dbs[j];
        }
        for (int r = 0; r < n; r++)
        {
            int y = targets[r];
            if (y < 0) continue;
            float d = trueLogits[r];
            VectorOps.MultiplyAdd(x.Slice(r * p, p), d, weightGradient.Slice(y * p, p));
            biasGradient[y] += d;
        }
    }

    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => System.Numerics.Tensors.TensorPrimitives.Dot(a, b);
}
