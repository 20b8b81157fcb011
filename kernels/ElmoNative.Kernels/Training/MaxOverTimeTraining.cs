// Valid 1-D convolution + max over time for training: the forward pass also records, for every sequence and
// filter, the position t* where the maximum was reached (the first one on ties); the backward pass routes each
// output gradient to that single window only (max-pooling passes the gradient to its argmax):
//   y[s, f]       = b[f] + max_t sum_{k<w, e} x[s, t + k, e] W[k * C + e, f]   (t* = argmax)
//   dW[k*C+e, f] += sum_s dy[s, f] x[s, t*(s, f) + k, e]
//   dx[s, t*+k, e] += dy[s, f] W[k * C + e, f]
//   db[f]        += sum_s dy[s, f]
// The forward GEMM reads each chunk of sequences as one long sequence (rows overlap, lda = channels), as the
// inference kernel Convolution1D does; windows that straddle two sequences are computed and ignored.
using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ElmoNative.Kernels;

/// <summary>Convolution + max over time with its argmax (forward) and the sparse backward pass.</summary>
public static class MaxOverTimeTraining
{
    /// <summary>The scratch GEMM output of one chunk is kept near this many floats.</summary>
    internal const int MaxScratchFloats = 1 << 20;

    /// <summary>
    /// input [sequences, length, channels]; filter [width * channels, filters] (row k * channels + e). Writes
    /// output[s * ldOutput + f] = bias[f] + max over t of the window sum and argMax[s * ldOutput + f] = t*.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> input, int sequences, int length, int channels,
        ReadOnlySpan<float> filter, int width, ReadOnlySpan<float> bias, Span<float> output, Span<int> argMax, int ldOutput)
    {
        int filters = bias.Length, depth = width * channels, positions = length - width + 1;
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(positions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldOutput, filters);
        if (input.Length < (long)sequences * length * channels) throw new ArgumentException("input is shorter than sequences x length x channels.", nameof(input));
        Sgemm.CheckOperand(nameof(filter), filter.Length, depth, filters, filters, true);
        Sgemm.CheckOperand(nameof(output), output.Length, sequences, filters, ldOutput, true);
        Sgemm.CheckOperand(nameof(argMax), argMax.Length, sequences, filters, ldOutput, true);
        if (sequences == 0 || filters == 0) return;

        long perSequence = (long)length * filters;
        int chunk = (int)Math.Clamp(MaxScratchFloats / perSequence, 1, sequences);
        float[] scratch = ArrayPool<float>.Shared.Rent((int)(chunk * perSequence));
        try
        {
            for (int s0 = 0; s0 < sequences; s0 += chunk)
            {
                int count = Math.Min(chunk, sequences - s0);
                int rows = count * length - width + 1;
                var c = scratch.AsSpan(0, rows * filters);
                Sgemm.Multiply(Transpose.No, Transpose.No, rows, filters, depth, 1f,
                    input.Slice(s0 * length * channels, count * length * channels), channels, filter, filters, 0f, c, filters);
                for (int s = 0; s < count; s++)
                    MaxRows(c.Slice(s * length * filters), positions, filters, bias,
                        output.Slice((s0 + s) * ldOutput, filters), argMax.Slice((s0 + s) * ldOutput, filters));
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>best[f] = bias[f] + max over t &lt; positions of c[t * filters + f]; at[f] = the first t reaching it.</summary>
    internal static void MaxRows(ReadOnlySpan<float> c, int positions, int filters, ReadOnlySpan<float> bias, Span<float> best, Span<int> at)
    {
        c[..filters].CopyTo(best);
        at.Clear();
        int w = Vector<float>.Count;
        ref float bs = ref MemoryMarshal.GetReference(best);
        ref int ats = ref MemoryMarshal.GetReference(at);
        for (int t = 1; t < positions; t++)
        {
            ref float row = ref Unsafe.Add(ref MemoryMarshal.GetReference(c), t * filters);
            var tv = new Vector<int>(t);
            int f = 0;
            for (; f + w <= filters; f += w)
            {
                var v = Vector.LoadUnsafe(ref row, (nuint)f);
                var b = Vector.LoadUnsafe(ref bs, (nuint)f);
                var greater = Vector.GreaterThan(v, b);
                Vector.ConditionalSelect(greater, v, b).StoreUnsafe(ref bs, (nuint)f);
                Vector.ConditionalSelect(greater, tv, Vector.LoadUnsafe(ref ats, (nuint)f)).StoreUnsafe(ref ats, (nuint)f);
            }
            for (; f < filters; f++)
            {
                float v = Unsafe.Add(ref row, f);
                if (v > Unsafe.Add(ref bs, f))
                {
                    Unsafe.Add(ref bs, f) = v;
                    Unsafe.Add(ref ats, f) = t;
                }
            }
        }
        for (int f = 0; f < filters; f++) best[f] += bias[f];
    }

    /// <summary>
    /// The backward pass of <see cref="Forward"/>: accumulates into filterGradient [width * channels, filters],
    /// biasGradient [filters] and inputGradient [sequences, length, channels] from outputGradient [sequences, ldOutput].
    /// </summary>
    public static void Backward(ReadOnlySpan<float> input, int sequences, int length, int channels,
        ReadOnlySpan<float> filter, int width, ReadOnlySpan<int> argMax, ReadOnlySpan<float> outputGradient, int ldOutput,
        Span<float> filterGradient, Span<float> biasGradient, Span<float> inputGradient)
    {
        int filters = biasGradient.Length, depth = width * channels;
        if (input.Length < (long)sequences * length * channels || inputGradient.Length < (long)sequences * length * channels)
            throw new ArgumentException("input and inputGradient must hold sequences x length x channels values.");
        if (filter.Length < depth * filters || filterGradient.Length < depth * filters) throw new ArgumentException("filter and filterGradient must hold width x channels x filters values.");
        Sgemm.CheckOperand(nameof(argMax), argMax.Length, sequences, filters, ldOutput, true);
        Sgemm.CheckOperand(nameof(outputGradient), outputGradient.Length, sequences, filters, ldOutput, true);
        for (int s = 0; s < sequences; s++)
        {
            var dy = outputGradient.Slice(s * ldOutput, filters);
            var at = argMax.Slice(s * ldOutput, filters);
            var x = input.Slice(s * length * channels, length * channels);
            var dx = inputGradient.Slice(s * length * channels, length * channels);
            for (int f = 0; f < filters; f++)
            {
                float g = dy[f];
                if (g == 0f) continue;
                biasGradient[f] += g;
                // The window starting at t* covers x[t* .. t* + w - 1, :], i.e. depth consecutive values.
                int start = at[f] * channels;
                for (int q = 0; q < depth; q++)
                {
                    filterGradient[q * filters + f] += g * x[start + q];
                    dx[start + q] += g * filter[q * filters + f];
                }
            }
        }
    }
}
