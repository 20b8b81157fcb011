// Valid 1-D convolution + max over time over sequences of different lengths stored back to back ("ragged"), for
// training. Sequence s occupies positions starts[s] .. starts[s+1]-1 of input [starts[^1], channels]; only its first
// windows[s] windows (t = 0 .. windows[s]-1, window t covering positions t .. t + width - 1) compete for the maximum:
//   y[s, f]        = b[f] + max_{t < windows[s]} sum_{k<w, e} x[starts[s] + t + k, e] W[k * C + e, f]   (t* = first argmax)
// The backward pass routes dy[s, f] to the argmax window only, as two GEMMs over a sparse "window gradient" matrix
// G [rows, filters] (G[starts[s] + t*, f] = dy[s, f], zero elsewhere):
//   dW += X^T G    (X: the overlapping windows, [rows, width * C] with row stride C)
//   D   = G W^T    dx[r + k, e] += D[r, k * C + e]      db[f] += sum_s dy[s, f]
// Both passes run in chunks of whole sequences through one GEMM each, reading each chunk as one long sequence
// (overlapping rows, as Convolution1D does); windows straddling two sequences are computed and ignored.
using System.Buffers;

namespace ElmoNative.Kernels;

/// <summary>Convolution + max over time with argmax, and its backward pass, over back-to-back sequences of varying length.</summary>
public static class RaggedMaxOverTime
{
    /// <summary>The scratch GEMM buffers of one chunk are kept near this many floats.</summary>
    internal const int MaxScratchFloats = 1 << 20;

    /// <summary>
    /// input [starts[^1], channels]; starts [sequences + 1] (non-decreasing, starts[0] = 0); windows [sequences] with
    /// 1 &lt;= windows[s] and starts[s] + windows[s] - 1 + width &lt;= starts[s + 1]; filter [width * channels, filters].
    /// Writes output[s * ldOutput + f] = bias[f] + the maximum and argMax[s * ldOutput + f] = t* (first on ties).
    /// </summary>
    public static void Forward(ReadOnlySpan<float> input, int channels, ReadOnlySpan<int> starts, ReadOnlySpan<int> windows,
        ReadOnlySpan<float> filter, int width, ReadOnlySpan<float> bias, Span<float> output, Span<int> argMax, int ldOutput)
    {
        int sequences = windows.Length, filters = bias.Length, depth = width * channels;
        Check(input.Length, channels, starts, windows, width, filters, ldOutput, output.Length, argMax.Length);
        Sgemm.CheckOperand(nameof(filter), filter.Length, depth, filters, filters, true);
        if (sequences == 0 || filters == 0) return;
        float[] scratch = ArrayPool<float>.Shared.Rent(MaxScratchFloats);
        try
        {
            for (int s0 = 0; s0 < sequences;)
            {
                int s1 = ChunkEnd(starts, s0, sequences, Math.Max(1, MaxScratchFloats / filters));
                int rows = starts[s1] - starts[s0] - width + 1;
                if (rows > scratch.Length / filters)
                {
                    ArrayPool<float>.Shared.Return(scratch);
                    scratch = ArrayPool<float>.Shared.Rent(rows * filters);
                }
                var c = scratch.AsSpan(0, rows * filters);
                Sgemm.Multiply(Transpose.No, Transpose.No, rows, filters, depth, 1f,
                    input.Slice(starts[s0] * channels, (starts[s1] - starts[s0]) * channels), channels, filter, filters, 0f, c, filters);
                for (int s = s0; s < s1; s++)
                    MaxOverTime.MaxRows(c.Slice((starts[s] - starts[s0]) * filters), windows[s], filters, bias,
                        output.Slice(s * ldOutput, filters), argMax.Slice(s * ldOutput, filters));
                s0 = s1;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// The backward pass of <see cref="Forward"/> (same input, starts, filter, width and the argMax it wrote): accumulates
    /// into filterGradient [width * channels, filters], biasGradient [filters] and inputGradient [starts[^1], channels]
    /// from outputGradient [sequences, ldOutput].
    /// </summary>
    public static void Backward(ReadOnlySpan<float> input, int channels, ReadOnlySpan<int> starts, ReadOnlySpan<float> filter, int width,
        ReadOnlySpan<int> argMax, ReadOnlySpan<float> outputGradient, int ldOutput,
        Span<float> filterGradient, Span<float> biasGradient, Span<float> inputGradient)
    {
        int sequences = starts.Length - 1, filters = biasGradient.Length, depth = width * channels;
        ArgumentOutOfRangeException.ThrowIfLessThan(sequences, 0, nameof(starts));
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldOutput, filters);
        long total = (long)starts[sequences] * channels;
        if (input.Length < total || inputGradient.Length < total) throw new ArgumentException("input and inputGradient must hold starts[^1] x channels values.");
        Sgemm.CheckOperand(nameof(filter), filter.Length, depth, filters, filters, true);
        Sgemm.CheckOperand(nameof(filterGradient), filterGradient.Length, depth, filters, filters, true);
        Sgemm.CheckOperand(nameof(argMax), argMax.Length, sequences, filters, ldOutput, true);
        Sgemm.CheckOperand(nameof(outputGradient), outputGradient.Length, sequences, filters, ldOutput, true);
        if (sequences == 0 || filters == 0) return;
        Gradients.AddColumnSums(outputGradient, sequences, ldOutput, biasGradient);
        int perRow = filters + depth;
        float[] scratch = ArrayPool<float>.Shared.Rent(MaxScratchFloats);
        try
        {
            for (int s0 = 0; s0 < sequences;)
            {
                int s1 = ChunkEnd(starts, s0, sequences, Math.Max(1, MaxScratchFloats / perRow));
                int first = starts[s0], rows = starts[s1] - first - width + 1;
                if (rows > scratch.Length / perRow)
                {
                    ArrayPool<float>.Shared.Return(scratch);
                    scratch = ArrayPool<float>.Shared.Rent(rows * perRow);
                }
                var g = scratch.AsSpan(0, rows * filters);
                var d = scratch.AsSpan(rows * filters, rows * depth);
                g.Clear();
                for (int s = s0; s < s1; s++)
                {
                    var dy = outputGradient.Slice(s * ldOutput, filters);
                    var at = argMax.Slice(s * ldOutput, filters);
                    int row = starts[s] - first;
                    for (int f = 0; f < filters; f++)
                    {
                        int t = at[f];
                        if ((uint)t > (uint)(starts[s + 1] - starts[s] - width)) throw new ArgumentException($"argMax[{s}, {f}] = {t} is not a window of sequence {s}.", nameof(argMax));
                        g[(row + t) * filters + f] = dy[f];
                    }
                }
                var x = input.Slice(first * channels, (starts[s1] - first) * channels);
                Sgemm.Multiply(Transpose.Yes, Transpose.No, depth, filters, rows, 1f, x, channels, g, filters, 1f, filterGradient, filters);
                Sgemm.Multiply(Transpose.No, Transpose.Yes, rows, depth, filters, 1f, g, filters, filter, filters, 0f, d, depth);
                var dx = inputGradient.Slice(first * channels, (starts[s1] - first) * channels);
                for (int r = 0; r < rows; r++) VectorOps.Add(d.Slice(r * depth, depth), dx.Slice(r * channels, depth));
                s0 = s1;
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>The end of a chunk starting at s0: at least one sequence, then as many as keep it under maxRows positions.</summary>
    private static int ChunkEnd(ReadOnlySpan<int> starts, int s0, int sequences, int maxRows)
    {
        int s1 = s0 + 1;
        while (s1 < sequences && starts[s1 + 1] - starts[s0] <= maxRows) s1++;
        return s1;
    }

    private static void Check(int inputLength, int channels, ReadOnlySpan<int> starts, ReadOnlySpan<int> windows, int width, int filters,
        int ldOutput, int outputLength, int argMaxLength)
    {
        int sequences = windows.Length;
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(channels, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldOutput, filters);
        if (starts.Length != sequences + 1 || starts[0] != 0) throw new ArgumentException("starts must hold sequences + 1 offsets, the first 0.", nameof(starts));
        for (int s = 0; s < sequences; s++)
            if (windows[s] < 1 || starts[s] + windows[s] - 1 + width > starts[s + 1])
                throw new ArgumentException($"sequence {s} (positions {starts[s]} .. {starts[s + 1] - 1}) cannot hold {windows[s]} windows of width {width}.", nameof(windows));
        if (inputLength < (long)starts[sequences] * channels) throw new ArgumentException("input is shorter than starts[^1] x channels.");
        Sgemm.CheckOperand("output", outputLength, sequences, filters, ldOutput, true);
        Sgemm.CheckOperand("argMax", argMaxLength, sequences, filters, ldOutput, true);
    }
}
