// The executable specification of the training kernels (backward passes, the training LSTM cell, the convolution
// with max over time and its argmax, Adagrad): plain scalar loops in double, the equations as written in each
// kernel's header. The fast kernels are tested against these.
namespace ElmoNative.Kernels.Reference;

/// <summary>The naive twins of the training kernels.</summary>
public static partial class NaiveKernels
{
    /// <summary>dy *= (y &gt; 0).</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, Span<float> dy)
    {
        for (int i = 0; i < dy.Length; i++) dy[i] = y[i] > 0f ? dy[i] : 0f;
    }

    /// <summary>dy *= 1 - y², in double.</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, Span<float> dy)
    {
        for (int i = 0; i < dy.Length; i++) dy[i] = (float)(dy[i] * (1.0 - (double)y[i] * y[i]));
    }

    /// <summary>dy *= y (1 - y), in double.</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, Span<float> dy)
    {
        for (int i = 0; i < dy.Length; i++) dy[i] = (float)(dy[i] * (double)y[i] * (1.0 - y[i]));
    }

    /// <summary>dy = 0 where |y| &gt;= limit (nothing for an infinite limit).</summary>
    public static void ClipBackward(ReadOnlySpan<float> y, float limit, Span<float> dy)
    {
        if (float.IsPositiveInfinity(limit)) return;
        for (int i = 0; i < dy.Length; i++) if (!(Math.Abs(y[i]) < limit)) dy[i] = 0f;
    }

    /// <summary>dg = dy (t - h), dt = dy g, dh = dy (1 - g), in double.</summary>
    public static void GatedMixBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> t, ReadOnlySpan<float> h,
        ReadOnlySpan<float> dy, Span<float> dg, Span<float> dt, Span<float> dh)
    {
        for (int i = 0; i < dy.Length; i++)
        {
            double d = dy[i], gi = g[i];
            dg[i] = (float)(d * ((double)t[i] - h[i]));
            dt[i] = (float)(d * gi);
            dh[i] = (float)(d * (1.0 - gi));
        }
    }

    /// <summary>sums[j] += sum over r of x[r * ld + j], in double.</summary>
    public static void AddColumnSums(ReadOnlySpan<float> x, int rows, int ld, Span<float> sums)
    {
        for (int j = 0; j < sums.Length; j++)
        {
            double sum = sums[j];
            for (int r = 0; r < rows; r++) sum += x[r * ld + j];
            sums[j] = (float)sum;
        }
    }

    /// <summary>a += g²; w -= lr g / sqrt(a), in double.</summary>
    public static void Adagrad(Span<float> parameters, Span<float> accumulators, ReadOnlySpan<float> gradient, float learningRate)
    {
        for (int i = 0; i < parameters.Length; i++)
        {
            double a = accumulators[i] + (double)gradient[i] * gradient[i];
            accumulators[i] = (float)a;
            parameters[i] = (float)(parameters[i] - learningRate * (double)gradient[i] / Math.Sqrt(a));
        }
    }

    /// <summary>
    /// The training LSTM cell's forward pass, in double: per row of z = [i, j, f, o], i = sigmoid(z_i), j = tanh(z_j),
    /// f = sigmoid(z_f + forgetBias), o = sigmoid(z_o) (written back into gates); c = clip(f c_prev + i j, cellClip);
    /// tanhCell = tanh(c); h = o tanh(c).
    /// </summary>
    public static void LstmForward(Span<float> gates, ReadOnlySpan<float> cellPrevious, Span<float> cell, Span<float> tanhCell,
        Span<float> output, int rows, int hidden, float forgetBias, float cellClip)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int u = 0; u < hidden; u++)
            {
                int z = r * 4 * hidden + u, k = r * hidden + u;
                double i = Logistic(gates[z]);
                double j = Math.Tanh(gates[z + hidden]);
                double f = Logistic((double)gates[z + 2 * hidden] + forgetBias);
                double o = Logistic(gates[z + 3 * hidden]);
                (gates[z], gates[z + hidden], gates[z + 2 * hidden], gates[z + 3 * hidden]) = ((float)i, (float)j, (float)f, (float)o);
                double c = Math.Clamp(f * cellPrevious[k] + i * j, -(double)cellClip, cellClip);
                cell[k] = (float)c;
                tanhCell[k] = (float)Math.Tanh(c);
                output[k] = (float)(o * Math.Tanh(c));
            }
        }
    }

    /// <summary>
    /// The training LSTM cell's backward pass, in double, from what <see cref="LstmForward"/> left:
    /// dc = dc_in + dh o (1 - tanh(c)²), 0 where |c| &gt;= cellClip; dz_i = dc j i (1 - i); dz_j = dc i (1 - j²);
    /// dz_f = dc c_prev f (1 - f); dz_o = dh tanh(c) o (1 - o); dc_prev = dc f.
    /// </summary>
    public static void LstmBackward(ReadOnlySpan<float> gates, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> cell,
        ReadOnlySpan<float> tanhCell, ReadOnlySpan<float> outputGradient, Span<float> cellGradient, Span<float> gateGradient,
        int rows, int hidden, float cellClip)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int u = 0; u < hidden; u++)
            {
                int z = r * 4 * hidden + u, k = r * hidden + u;
                double i = gates[z], j = gates[z + hidden], f = gates[z + 2 * hidden], o = gates[z + 3 * hidden];
                double t = tanhCell[k], dh = outputGradient[k];
                double dc = cellGradient[k] + dh * o * (1 - t * t);
                if (!(Math.Abs(cell[k]) < cellClip)) dc = 0;
                gateGradient[z] = (float)(dc * j * i * (1 - i));
                gateGradient[z + hidden] = (float)(dc * i * (1 - j * j));
                gateGradient[z + 2 * hidden] = (float)(dc * cellPrevious[k] * f * (1 - f));
                gateGradient[z + 3 * hidden] = (float)(dh * t * o * (1 - o));
                cellGradient[k] = (float)(dc * f);
            }
        }
    }

    /// <summary>
    /// Convolution + max over time over back-to-back sequences (see RaggedMaxOverTime.Forward), in double: for sequence
    /// s and filter f, the maximum over the windows t &lt; windows[s] of the window sum, plus bias, and the first t reaching it.
    /// </summary>
    public static void RaggedMaxOverTime(ReadOnlySpan<float> input, int channels, ReadOnlySpan<int> starts, ReadOnlySpan<int> windows,
        ReadOnlySpan<float> filter, int width, ReadOnlySpan<float> bias, Span<float> output, Span<int> argMax, int ldOutput)
    {
        int filters = bias.Length;
        for (int s = 0; s < windows.Length; s++)
        {
            for (int f = 0; f < filters; f++)
            {
                double best = double.NegativeInfinity;
                int at = -1;
                for (int t = 0; t < windows[s]; t++)
                {
                    double sum = 0;
                    for (int q = 0; q < width * channels; q++) sum += (double)input[(starts[s] + t) * channels + q] * filter[q * filters + f];
                    if (sum > best)
                    {
                        best = sum;
                        at = t;
                    }
                }
                output[s * ldOutput + f] = (float)(best + bias[f]);
                argMax[s * ldOutput + f] = at;
            }
        }
    }

    /// <summary>
    /// The backward pass of <see cref="RaggedMaxOverTime"/>, in double: each output gradient goes to its argmax window only
    /// (dW += dy x, dx += dy W over that window; db += dy).
    /// </summary>
    public static void RaggedMaxOverTimeBackward(ReadOnlySpan<float> input, int channels, ReadOnlySpan<int> starts, ReadOnlySpan<float> filter,
        int width, ReadOnlySpan<int> argMax, ReadOnlySpan<float> outputGradient, int ldOutput,
        Span<float> filterGradient, Span<float> biasGradient, Span<float> inputGradient)
    {
        int filters = biasGradient.Length, depth = width * channels;
        for (int s = 0; s + 1 < starts.Length; s++)
        {
            for (int f = 0; f < filters; f++)
            {
                double g = outputGradient[s * ldOutput + f];
                int start = (starts[s] + argMax[s * ldOutput + f]) * channels;
                biasGradient[f] = (float)(biasGradient[f] + g);
                for (int q = 0; q < depth; q++)
                {
                    filterGradient[q * filters + f] = (float)(filterGradient[q * filters + f] + g * input[start + q]);
                    inputGradient[start + q] = (float)(inputGradient[start + q] + g * filter[q * filters + f]);
                }
            }
        }
    }
}
