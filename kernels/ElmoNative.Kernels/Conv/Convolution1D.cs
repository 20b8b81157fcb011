// Character-CNN convolution + max-pool over time as one GEMM per chunk of sequences, without im2col:
// the chunk is read as one long sequence of positions, and the GEMM's A row t is the window starting
// at position t, i.e. lda = channels with k = width * channels, so consecutive rows overlap. Rows whose
// window straddles two sequences are computed and ignored; the max then runs over the valid positions
// t in [0, length - width] of each sequence, and the bias is added after the max (it is constant in t).
// Chunks keep the pooled scratch buffer at about MaxScratchFloats.
using System.Buffers;
using System.Numerics.Tensors;

namespace ElmoNative.Kernels;

/// <summary>Valid 1-D convolution over sequences followed by max over time.</summary>
public static class Convolution1D
{
    /// <summary>The scratch GEMM output of one chunk is kept near this many floats (4 MB).</summary>
    internal const int MaxScratchFloats = 1 << 20;

    /// <summary>
    /// input holds <paramref name="sequences"/> sequences of <paramref name="length"/> positions x <paramref name="channels"/>
    /// values, contiguous ([sequences, length, channels]). filter is [width * channels, filters] (row-major:
    /// row k * channels + e, column f). For each sequence s and filter f:
    /// output[s * ldOutput + f] = bias[f] + max over t in [0, length - width] of sum_{k, e} input[s, t + k, e] * filter[k * channels + e, f].
    /// </summary>
    public static void MaxOverTime(ReadOnlySpan<float> input, int sequences, int length, int channels,
        ReadOnlySpan<float> filter, int width, ReadOnlySpan<float> bias, Span<float> output, int ldOutput)
        => MaxOverTime(SimdDispatch.Current, KernelSettings.ThreadsForCurrentThread, input, sequences, length, channels,
            filter, null, width, bias, output, ldOutput);

    /// <summary>
    /// As <see cref="MaxOverTime(ReadOnlySpan{float}, int, int, int, ReadOnlySpan{float}, int, ReadOnlySpan{float}, Span{float}, int)"/>
    /// with the filter prepacked: <c>PackedMatrix.Pack(filter, width * channels, filters, filters)</c>.
    /// </summary>
    /// <param name="input">[sequences, length, channels] values.</param>
    /// <param name="sequences">Number of sequences.</param>
    /// <param name="length">Positions per sequence.</param>
    /// <param name="channels">Values per position.</param>
    /// <param name="filter">The packed filter bank [width * channels, filters].</param>
    /// <param name="width">Filter width in positions.</param>
    /// <param name="bias">Per-filter bias (its length is the number of filters).</param>
    /// <param name="output">Receives [sequences, filters] with row stride ldOutput.</param>
    /// <param name="ldOutput">Row stride of output (at least the number of filters).</param>
    public static void MaxOverTime(ReadOnlySpan<float> input, int sequences, int length, int channels,
        PackedMatrix filter, int width, ReadOnlySpan<float> bias, Span<float> output, int ldOutput)
    {
        ArgumentNullException.ThrowIfNull(filter);
        MaxOverTime(filter.Variant, KernelSettings.ThreadsForCurrentThread, input, sequences, length, channels,
            default, filter, width, bias, output, ldOutput);
    }

    /// <summary>The convolution on an explicit variant and thread count; a packed filter, when given, wins.</summary>
    internal static void MaxOverTime(SimdVariant variant, int maxThreads, ReadOnlySpan<float> input, int sequences,
        int length, int channels, ReadOnlySpan<float> filter, PackedMatrix? packed, int width,
        ReadOnlySpan<float> bias, Span<float> output, int ldOutput)
    {
        int filters = bias.Length;
        ArgumentOutOfRangeException.ThrowIfNegative(sequences);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(channels);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldOutput, filters);
        int depth = width * channels;
        if (input.Length < (long)sequences * length * channels) throw new ArgumentException("input is shorter than sequences x length x channels.", nameof(input));
        if (packed is null)
            Sgemm.CheckOperand(nameof(filter), filter.Length, depth, filters, filters, true);
        else if (packed.Rows != depth || packed.Columns != filters)
            throw new ArgumentException($"The packed filter is [{packed.Rows} x {packed.Columns}], expected [{depth} x {filters}].", nameof(filter));
        Sgemm.CheckOperand(nameof(output), output.Length, sequences, filters, ldOutput, true);
        if (sequences == 0 || filters == 0) return;

        int positions = length - width + 1;
        if (positions <= 0)
        {
            for (int s = 0; s < sequences; s++) output.Slice(s * ldOutput, filters).Fill(float.NegativeInfinity);
            return;
        }

        long perSequence = (long)length * filters;
        int chunk = (int)Math.Clamp(MaxScratchFloats / perSequence, 1, sequences);
        float[] scratch = ArrayPool<float>.Shared.Rent((int)(chunk * perSequence));
        try
        {
            for (int s0 = 0; s0 < sequences; s0 += chunk)
            {
                int count = Math.Min(chunk, sequences - s0);
                int rows = count * length - width + 1;
                var a = input.Slice(s0 * length * channels, count * length * channels);
                var c = scratch.AsSpan(0, rows * filters);
                if (packed is null)
                    Sgemm.Multiply(variant, maxThreads, null, Transpose.No, Transpose.No, rows, filters, depth, 1f,
                        a, channels, filter, filters, 0f, c, filters);
                else
                    Sgemm.Multiply(maxThreads, null, rows, a, channels, packed, 0f, c, filters);

                for (int s = 0; s < count; s++)
                {
                    var best = output.Slice((s0 + s) * ldOutput, filters);
                    int first = s * length;
                    c.Slice(first * filters, filters).CopyTo(best);
                    for (int t = 1; t < positions; t++)
                        TensorPrimitives.Max(best, c.Slice((first + t) * filters, filters), best);
                    TensorPrimitives.Add(best, bias, best);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }
}
