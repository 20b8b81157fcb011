// The executable specification of the forward kernels: one plain scalar loop each, in the obvious way, with
// sums accumulated in double. The fast kernels are tested against these; the backward passes and the optimizer
// are in NaiveGradients.cs.
namespace ElmoNative.Kernels.Reference;

/// <summary>
/// The executable specification of every kernel: plain scalar loops, no blocking, no SIMD.
/// The fast kernels are tested against these.
/// </summary>
public static partial class NaiveKernels
{
    /// <summary>
    /// C = alpha * op(A) op(B) + beta * C, all row-major. op(A) is [m, k], op(B) is [k, n], C is [m, n].
    /// lda, ldb, ldc are the row strides of A, B and C as stored.
    /// </summary>
    public static void Sgemm(Transpose transA, Transpose transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                double sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float av = transA == Transpose.No ? a[i * lda + p] : a[p * lda + i];
                    float bv = transB == Transpose.No ? b[p * ldb + j] : b[j * ldb + p];
                    sum += (double)av * bv;
                }
                float old = beta == 0f ? 0f : beta * c[i * ldc + j];
                c[i * ldc + j] = (float)(alpha * sum) + old;
            }
        }
    }

    /// <summary>y = 1 / (1 + exp(-x)), computed in double.</summary>
    public static void Sigmoid(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)(1.0 / (1.0 + Math.Exp(-(double)x[i])));
    }

    /// <summary>y = tanh(x), computed in double.</summary>
    public static void Tanh(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)Math.Tanh(x[i]);
    }

    /// <summary>y = exp(x), computed in double.</summary>
    public static void Exp(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = (float)Math.Exp(x[i]);
    }

    /// <summary>y = max(x, 0).</summary>
    public static void Relu(ReadOnlySpan<float> x, Span<float> y)
    {
        for (int i = 0; i < x.Length; i++) y[i] = x[i] > 0f ? x[i] : 0f;
    }

    /// <summary>x = min(max(x, -limit), limit), in place.</summary>
    public static void Clip(Span<float> x, float limit)
    {
        for (int i = 0; i < x.Length; i++) x[i] = x[i] > limit ? limit : x[i] < -limit ? -limit : x[i];
    }

    /// <summary>h = g * t + (1 - g) * h, in place on h.</summary>
    public static void GatedMix(ReadOnlySpan<float> g, ReadOnlySpan<float> t, Span<float> h)
    {
        for (int i = 0; i < h.Length; i++) h[i] = (float)((double)g[i] * t[i] + (1.0 - g[i]) * h[i]);
    }

    /// <summary>y += alpha * x, in double.</summary>
    public static void MultiplyAdd(ReadOnlySpan<float> x, float alpha, Span<float> y)
    {
        for (int i = 0; i < y.Length; i++) y[i] = (float)((double)alpha * x[i] + y[i]);
    }

    /// <summary>x *= alpha.</summary>
    public static void Scale(Span<float> x, float alpha)
    {
        for (int i = 0; i < x.Length; i++) x[i] *= alpha;
    }

    /// <summary>y[r * ldy + i] += x[i] for r &lt; rows.</summary>
    public static void AddRowVector(ReadOnlySpan<float> x, Span<float> y, int rows, int ldy)
    {
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < x.Length; i++) y[r * ldy + i] += x[i];
    }

    /// <summary>y = exp(x - max) / sum exp(x - max), in double.</summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y)
    {
        if (x.IsEmpty) return;
        double max = double.NegativeInfinity;
        foreach (float v in x) max = Math.Max(max, v);
        double sum = 0;
        foreach (float v in x) sum += Math.Exp(v - max);
        for (int i = 0; i < x.Length; i++) y[i] = (float)(Math.Exp(x[i] - max) / sum);
    }

    /// <summary>log sum exp(x), in double (negative infinity when empty).</summary>
    public static float LogSumExp(ReadOnlySpan<float> x)
    {
        if (x.IsEmpty) return float.NegativeInfinity;
        double max = double.NegativeInfinity;
        foreach (float v in x) max = Math.Max(max, v);
        if (double.IsInfinity(max)) return (float)max;
        double sum = 0;
        foreach (float v in x) sum += Math.Exp(v - max);
        return (float)(max + Math.Log(sum));
    }

    /// <summary>The sum of x, in double.</summary>
    public static float Sum(ReadOnlySpan<float> x)
    {
        double sum = 0;
        foreach (float v in x) sum += v;
        return (float)sum;
    }

    /// <summary>
    /// One LSTM step's element-wise part, per row of gates z = [i, j, f, o] (each hidden wide):
    /// c = sigmoid(f + forgetBias) * c + sigmoid(i) * tanh(j); c = clip(c, cellClip); h = sigmoid(o) * tanh(c).
    /// </summary>
    public static void LstmStep(ReadOnlySpan<float> gates, Span<float> cell, Span<float> output, int rows, int hidden,
        float forgetBias, float cellClip)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int u = 0; u < hidden; u++)
            {
                int z = r * 4 * hidden + u;
                double i = Logistic(gates[z]);
                double j = Math.Tanh(gates[z + hidden]);
                double f = Logistic((double)gates[z + 2 * hidden] + forgetBias);
                double o = Logistic(gates[z + 3 * hidden]);
                double c = f * cell[r * hidden + u] + i * j;
                c = Math.Clamp(c, -(double)cellClip, cellClip);
                cell[r * hidden + u] = (float)c;
                output[r * hidden + u] = (float)(o * Math.Tanh((float)c));
            }
        }
    }

    /// <summary>
    /// Valid 1-D convolution of [sequences, length, channels] input with a [width * channels, filters] filter,
    /// max over the positions t in [0, length - width] of each sequence, plus bias (the oracle of FoldedConvolution).
    /// </summary>
    public static void MaxOverTime(ReadOnlySpan<float> input, int sequences, int length, int channels,
        ReadOnlySpan<float> filter, int width, ReadOnlySpan<float> bias, Span<float> output, int ldOutput)
    {
        int filters = bias.Length;
        for (int s = 0; s < sequences; s++)
        {
            for (int f = 0; f < filters; f++)
            {
                double best = double.NegativeInfinity;
                for (int t = 0; t + width <= length; t++)
                {
                    double sum = 0;
                    for (int q = 0; q < width * channels; q++)
                        sum += (double)input[(s * length + t) * channels + q] * filter[q * filters + f];
                    best = Math.Max(best, sum);
                }
                output[s * ldOutput + f] = (float)(best + bias[f]);
            }
        }
    }

    private static double Logistic(double x) => 1.0 / (1.0 + Math.Exp(-x));
}
