using ElmoNative.Kernels;

namespace ElmoNative.Training.Loss;

/// <summary>
/// The full softmax cross-entropy over all V classes, for evaluation (perplexity):
/// <code>  loss_n = logsumexp_k (x_n . W[k] + b[k]) - (x_n . W[y_n] + b[y_n])  </code>
/// computed in chunks of rows so the logits stay small ([chunk, V]). Positions whose target is -1 are skipped.
/// Forward only (evaluation never updates parameters).
/// </summary>
internal sealed class FullSoftmax
{
    /// <summary>Rows of logits computed per GEMM.</summary>
    public const int ChunkRows = 64;

    private readonly int dim, vocabulary;
    private readonly float[] logits;

    public FullSoftmax(int dim, int vocabulary)
    {
        this.dim = dim;
        this.vocabulary = vocabulary;
        logits = new float[ChunkRows * vocabulary];
    }

    /// <summary>Sum of the losses over the positions with a target, and their number.</summary>
    public (double Sum, int Count) Forward(ReadOnlySpan<float> x, ReadOnlySpan<int> targets, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias)
    {
        int p = dim, v = vocabulary, n = targets.Length;
        double sum = 0;
        int count = 0;
        for (int r0 = 0; r0 < n; r0 += ChunkRows)
        {
            int rows = Math.Min(ChunkRows, n - r0);
            var l = logits.AsSpan(0, rows * v);
            Sgemm.Multiply(Transpose.No, Transpose.Yes, rows, v, p, 1f, x.Slice(r0 * p, rows * p), p, weight, p, 0f, l, v);
            Activations.AddRowVector(bias, l, rows, v);
            for (int r = 0; r < rows; r++)
            {
                int y = targets[r0 + r];
                if (y < 0) continue;
                var row = l.Slice(r * v, v);
                sum += (double)Activations.LogSumExp(row) - row[y];
                count++;
            }
        }
        return (sum, count);
    }
}
