// Character-CNN convolution + max-pool over time as one GEMM per chunk of sequences, without im2col:
// the chunk is read as one long sequence of positions, and the GEMM's A row t is the window starting
// at position t, i.e. lda = channels with k = width * channels, so consecutive rows overlap. Rows whose
// window straddles two sequences are computed and ignored; the max then runs over the valid positions
// t in [0, length - width] of each sequence, and the bias is added after the max (it is constant in t).
// Chunks keep the scratch buffers at about MaxScratchFloats (pooled) and MaxPaddedScratchFloats (per thread).
// The pad-aware variant (MaxOverTimePadded) is for sequences whose tail is one padding vector repeated: only
// the windows that start inside the distinct head are computed (gathered im2col rows, one GEMM per chunk);
// the windows that see only padding all equal one per-filter constant, which the caller computes once.
// Max is exact, and every computed window goes through the same GEMM row arithmetic as in the plain path,
// so both paths give the same bits.
using System.Buffers;
using ElmoNative.Kernels.Simd;

namespace ElmoNative.Kernels;

/// <summary>Valid 1-D convolution over sequences followed by max over time.</summary>
public static class Convolution1D
{
    /// <summary>The scratch GEMM output of one chunk is kept near this many floats (4 MB).</summary>
    internal const int MaxScratchFloats = 1 << 20;

    /// <summary>
    /// The pad-aware path's gathered windows and sums per GEMM are kept near this many floats (1 MB each at most): 256
    /// windows of the widest bank of 1,024 filters, enough rows for the GEMM, in scratch of the calling thread's own.
    /// </summary>
    internal const int MaxPaddedScratchFloats = 1 << 18;

    // The pad-aware path's scratch when the caller passes none: one per thread that runs it (native, reused), kept
    // until the thread ends. Callers on thread-pool threads pass their own (ConvolutionScratch).
    [ThreadStatic]
    private static ConvolutionScratch? threadScratch;

    /// <summary>
    /// input holds <paramref name="sequences"/> sequences of <paramref name="length"/> positions x <paramref name="channels"/>
    /// values, contiguous ([sequences, length, channels]). filter is [width * channels, filters] (row-major:
    /// row k * channels + e, column f). For each sequence s and filter f:
    /// output[s * ldOutput + f] = bias[f] + max over t in [0, length - width] of sum_{k, e} input[s, t + k, e] * filter[k * channels + e, f].
    /// </summary>
    public static void MaxOverTime(ReadOnlySpan<float> input, int sequences, int length, int channels,
        ReadOnlySpan<float> filter, int width, ReadOnlySpan<float> bias, Span<float> output, int ldOutput)
        => MaxOverTime(KernelSet.Current.Variant, KernelSettings.ThreadsForCurrentThread, input, sequences, length, channels,
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
        CheckShape(input, sequences, length, channels, width, filters, ldOutput);
        int depth = width * channels;
        if (packed is null)
            Sgemm.CheckOperand(nameof(filter), filter.Length, depth, filters, filters, true);
        else if (packed.Rows != depth || packed.Columns != filters)
            throw new ArgumentException($"The packed filter is [{packed.Rows} x {packed.Columns}], expected [{depth} x {filters}].", nameof(filter));
        Sgemm.CheckOperand(nameof(output), output.Length, sequences, filters, ldOutput, true);
        if (sequences == 0 || filters == 0) return;

        var kernels = KernelSet.For(variant);
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
                    for (int t = 1; t < positions; t++) kernels.MaxInto(c.Slice((first + t) * filters, filters), best);
                    kernels.Add(bias, best);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Pad-aware <see cref="MaxOverTime(ReadOnlySpan{float}, int, int, int, PackedMatrix, int, ReadOnlySpan{float}, Span{float}, int)"/>:
    /// in sequence s only the first distinct[s] positions may differ; every later position holds the same padding vector.
    /// Windows starting at t &lt; distinct[s] are computed; windows made only of padding are represented by
    /// <paramref name="paddingWindow"/> (the window sum without bias, per filter, e.g. from <see cref="WindowSums"/> on
    /// width padding vectors). The result equals the full convolution's bit for bit.
    /// </summary>
    /// <param name="input">[sequences, length, channels] values.</param>
    /// <param name="sequences">Number of sequences.</param>
    /// <param name="length">Positions per sequence.</param>
    /// <param name="channels">Values per position.</param>
    /// <param name="distinct">Per sequence, how many leading positions are not padding (0 .. length).</param>
    /// <param name="filter">The packed filter bank [width * channels, filters].</param>
    /// <param name="width">Filter width in positions.</param>
    /// <param name="paddingWindow">Per filter, the sum over a window of padding only (bias not included).</param>
    /// <param name="bias">Per-filter bias (its length is the number of filters).</param>
    /// <param name="output">Receives [sequences, filters] with row stride ldOutput.</param>
    /// <param name="ldOutput">Row stride of output (at least the number of filters).</param>
    /// <param name="scratch">The windows and sums; null: the calling thread's own.</param>
    public static void MaxOverTimePadded(ReadOnlySpan<float> input, int sequences, int length, int channels, ReadOnlySpan<int> distinct,
        PackedMatrix filter, int width, ReadOnlySpan<float> paddingWindow, ReadOnlySpan<float> bias, Span<float> output, int ldOutput,
        ConvolutionScratch? scratch = null)
    {
        ArgumentNullException.ThrowIfNull(filter);
        int filters = bias.Length;
        CheckShape(input, sequences, length, channels, width, filters, ldOutput);
        int depth = width * channels;
        if (distinct.Length < sequences) throw new ArgumentException("distinct needs one count per sequence.", nameof(distinct));
        if (filter.Rows != depth || filter.Columns != filters)
            throw new ArgumentException($"The packed filter is [{filter.Rows} x {filter.Columns}], expected [{depth} x {filters}].", nameof(filter));
        if (paddingWindow.Length < filters) throw new ArgumentException("paddingWindow needs one value per filter.", nameof(paddingWindow));
        Sgemm.CheckOperand(nameof(output), output.Length, sequences, filters, ldOutput, true);
        if (sequences == 0 || filters == 0) return;

        var kernels = filter.Kernels;
        int positions = length - width + 1;
        if (positions <= 0)
        {
            for (int s = 0; s < sequences; s++) output.Slice(s * ldOutput, filters).Fill(float.NegativeInfinity);
            return;
        }

        // Rows per GEMM: the gathered windows [rows, depth] and their sums [rows, filters] stay near MaxPaddedScratchFloats,
        // and no larger than all the windows to compute (a few tokens need a few kilobytes, not megabytes).
        int needed = 0;
        for (int s = 0; s < sequences; s++) needed += Math.Clamp(distinct[s], 0, positions);
        int maxRows = Math.Max(1, Math.Min(needed, Math.Max(positions, MaxPaddedScratchFloats / Math.Max(depth, filters))));
        scratch ??= threadScratch ??= new ConvolutionScratch();
        var windows = scratch.Windows.Get(maxRows * depth);
        var sums = scratch.Sums.Get(maxRows * filters);
        int s0 = 0;
        while (s0 < sequences)
        {
            // Gather the windows of as many whole sequences as fit (im2col of the distinct head only).
            int rows = 0, s1 = s0;
            while (s1 < sequences)
            {
                int count = Math.Clamp(distinct[s1], 0, positions);
                if (rows + count > maxRows) break;
                var source = input.Slice(s1 * length * channels, (count + width - 1) * channels);
                for (int t = 0; t < count; t++)
                    source.Slice(t * channels, depth).CopyTo(windows.Slice((rows + t) * depth, depth));
                rows += count;
                s1++;
            }
            var c = sums[..(rows * filters)];
            if (rows > 0)
                Sgemm.Multiply(KernelSettings.ThreadsForCurrentThread, null, rows, windows[..(rows * depth)], depth, filter, 0f, c, filters);

            for (int s = s0, row = 0; s < s1; s++)
            {
                int count = Math.Clamp(distinct[s], 0, positions);
                var best = output.Slice(s * ldOutput, filters);
                if (count == 0) paddingWindow[..filters].CopyTo(best);
                else
                {
                    c.Slice(row * filters, filters).CopyTo(best);
                    for (int t = 1; t < count; t++) kernels.MaxInto(c.Slice((row + t) * filters, filters), best);
                    if (count < positions) kernels.MaxInto(paddingWindow[..filters], best);
                }
                kernels.Add(bias, best);
                row += count;
            }
            s0 = s1;
        }
    }

    /// <summary>
    /// The sums (no bias) of one window [width * channels] under every filter: sums[f] = sum_k window[k] * filter[k, f],
    /// with the same arithmetic as each window of <see cref="MaxOverTime(ReadOnlySpan{float}, int, int, int, PackedMatrix, int, ReadOnlySpan{float}, Span{float}, int)"/>.
    /// </summary>
    /// <param name="window">The window's values, position-major [width * channels].</param>
    /// <param name="filter">The packed filter bank [width * channels, filters].</param>
    /// <param name="sums">Receives one value per filter.</param>
    public static void WindowSums(ReadOnlySpan<float> window, PackedMatrix filter, Span<float> sums)
    {
        ArgumentNullException.ThrowIfNull(filter);
        Sgemm.Multiply(1, null, 1, window, filter.Rows, filter, 0f, sums, filter.Columns);
    }

    /// <summary>The argument checks both convolutions share: sizes, the output stride and the input's length.</summary>
    private static void CheckShape(ReadOnlySpan<float> input, int sequences, int length, int channels, int width, int filters, int ldOutput)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sequences);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(channels);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldOutput, filters);
        if (input.Length < (long)sequences * length * channels) throw new ArgumentException("input is shorter than sequences x length x channels.", nameof(input));
    }
}
