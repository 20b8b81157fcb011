// Valid 1-D convolutions + max over time over sequences of ids, whose input vectors are rows of an embedding table,
// with the table folded into the filters. A window's sum under filter f,
//     sum_{k < width} sum_{e < channels} embedding[id(t + k), e] W[k * channels + e, f],
// is sum_k R[id(t + k), k, f] with the responses R[id, k, f] = sum_e embedding[id, e] W[k * channels + e, f]: one
// vector add per tap instead of `channels` multiply-adds, and fewer roundings, since each response is summed in
// float64 and rounded once and a window then rounds `width` times instead of `width x channels` times.
// An id's responses (every bank, every tap) are one contiguous block, computed the first time the id is seen (under a
// lock; readers check a flag), so only the ids that occur take memory: the whole table of 262 ids x 12,320 taps of
// the published character CNNs would be 13 MB, English text touches about a third of it.
// Each sequence's tail is one padding id repeated: the windows lying in it all have the padding window's sum, computed
// once per bank with the same arithmetic, so only the windows that start in the head are summed (skipPadding); the
// result is the same bits as summing every window.
// The windows run four vectors of filters at a time on the lanes of a SIMD variant, the last filters on one lane with
// the same operations (adds in tap order, then max), so a filter's bits do not depend on the variant or its place.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ElmoNative.Kernels.Memory;
using ElmoNative.Kernels.Simd;

namespace ElmoNative.Kernels;

/// <summary>One bank of filters of a <see cref="FoldedConvolution"/>: W [width * channels, filters], row-major (row k * channels + e).</summary>
/// <param name="Filter">The weights, row k * channels + e, column f.</param>
/// <param name="Width">Taps (positions) per window.</param>
/// <param name="Filters">Filters of the bank (columns of <paramref name="Filter"/>).</param>
public sealed record ConvolutionBank(ReadOnlyMemory<float> Filter, int Width, int Filters);

/// <summary>
/// Banks of valid 1-D convolutions followed by max over time, over sequences of ids into an embedding table, with the
/// table folded into the filters (see the file's comment). Thread-safe: several threads may run
/// <see cref="MaxOverTime(ReadOnlySpan{int}, int, ReadOnlySpan{float}, Span{float}, int, bool)"/> at once.
/// </summary>
public sealed unsafe class FoldedConvolution : IDisposable
{
    private readonly ReadOnlyMemory<float> embedding;
    private readonly ConvolutionBank[] banks;
    private readonly int[] bankTaps;    // offset of each bank's [width, filters] responses within an id's block
    private readonly int[] bankColumns; // offset of each bank's filters within an output row
    private readonly int channels, perId;
    private readonly float* responses;  // [vocabulary, perId], an id's block written once, before its flag is set
    private readonly bool[] ready;
    private readonly float[] paddingWindows; // per bank, the sum of a window of padding ids (no bias)
    private readonly object filling = new();
    private readonly double[] fillSums, fillRow; // Fill's scratch (under the lock), as wide as the widest bank
    private bool disposed;

    /// <summary>Folds <paramref name="banks"/> over the rows of <paramref name="embedding"/> [vocabulary, channels].</summary>
    /// <param name="embedding">Row id is the input vector of id (row-major); kept, not copied.</param>
    /// <param name="vocabulary">Ids: 0 .. vocabulary - 1.</param>
    /// <param name="channels">Values per input vector.</param>
    /// <param name="banks">The filter banks, in the order of the output's columns; their weights are kept, not copied.</param>
    /// <param name="length">Ids per sequence.</param>
    /// <param name="paddingId">The id that fills each sequence after its last other id.</param>
    public FoldedConvolution(ReadOnlyMemory<float> embedding, int vocabulary, int channels, IReadOnlyList<ConvolutionBank> banks, int length, int paddingId)
    {
        ArgumentNullException.ThrowIfNull(banks);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabulary, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(channels);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfNegative(paddingId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(paddingId, vocabulary);
        if (embedding.Length < (long)vocabulary * channels) throw new ArgumentException("embedding is shorter than vocabulary x channels.", nameof(embedding));
        this.embedding = embedding;
        this.banks = [.. banks];
        this.channels = channels;
        Length = length;
        PaddingId = paddingId;
        Vocabulary = vocabulary;
        bankTaps = new int[this.banks.Length];
        bankColumns = new int[this.banks.Length];
        long taps = 0;
        int columns = 0;
        for (int i = 0; i < this.banks.Length; i++)
        {
            var bank = this.banks[i] ?? throw new ArgumentException($"bank {i} is null.", nameof(banks));
            ArgumentOutOfRangeException.ThrowIfLessThan(bank.Width, 1, nameof(banks));
            ArgumentOutOfRangeException.ThrowIfNegative(bank.Filters, nameof(banks));
            if (bank.Filter.Length < (long)bank.Width * channels * bank.Filters)
                throw new ArgumentException($"bank {i}'s filter is shorter than width x channels x filters.", nameof(banks));
            bankTaps[i] = (int)taps;
            bankColumns[i] = columns;
            taps += (long)bank.Width * bank.Filters;
            columns += bank.Filters;
        }
        if (taps * vocabulary > int.MaxValue) throw new ArgumentException("the folded table would exceed 2^31 floats.", nameof(banks));
        perId = (int)taps;
        Filters = columns;
        responses = (float*)AlignedMemory.Allocate(TableBytes);
        ready = new bool[vocabulary];
        int widestBank = this.banks.Length == 0 ? 0 : this.banks.Max(b => b.Filters);
        (fillSums, fillRow) = (new double[widestBank], new double[widestBank]);
        paddingWindows = new float[columns];
        Fill(paddingId);
        Span<int> paddingIds = stackalloc int[this.banks.Length == 0 ? 1 : this.banks.Max(b => b.Width)];
        paddingIds.Fill(paddingId);
        var kernels = KernelSet.Current;
        fixed (int* window = paddingIds)
        fixed (float* sums = paddingWindows)
            for (int i = 0; i < this.banks.Length; i++)
                kernels.FoldedWindows(responses + bankTaps[i], perId, this.banks[i].Width, this.banks[i].Filters, window, 1, sums + bankColumns[i]);
    }

    /// <summary>All banks' filters: the width of an output row.</summary>
    public int Filters { get; }

    /// <summary>Ids per sequence.</summary>
    public int Length { get; }

    /// <summary>Ids: 0 .. Vocabulary - 1.</summary>
    public int Vocabulary { get; }

    /// <summary>The id that fills each sequence's tail.</summary>
    public int PaddingId { get; }

    /// <summary>Bytes of the whole table of responses, every id's block (at least one float): what is mapped, not what is touched.</summary>
    private nuint TableBytes => (nuint)Math.Max(1L, (long)perId * Vocabulary) * sizeof(float);

    /// <summary>Bytes of the responses computed so far (the ids seen, <see cref="PaddingId"/> included).</summary>
    public long ResponseBytes
    {
        get
        {
            long ids = 0;
            for (int id = 0; id < ready.Length; id++) if (Volatile.Read(ref ready[id])) ids++;
            return ids * perId * sizeof(float);
        }
    }

    /// <summary>
    /// For each of <paramref name="sequences"/> sequences of <see cref="Length"/> ids (contiguous) and each filter f of
    /// the banks in order: output[s * ldOutput + f] = bias[f] + max over t in [0, Length - width] of the window sum at t
    /// (negative infinity, without bias, where a bank is wider than the sequence).
    /// </summary>
    /// <param name="ids">[sequences, Length] ids, each in 0 .. <see cref="Vocabulary"/> - 1.</param>
    /// <param name="sequences">Number of sequences.</param>
    /// <param name="bias">Per filter (<see cref="Filters"/> values).</param>
    /// <param name="output">Receives [sequences, Filters] with row stride ldOutput.</param>
    /// <param name="ldOutput">Row stride of output (at least <see cref="Filters"/>).</param>
    /// <param name="skipPadding">Whether the windows of the padding tail count through one precomputed sum (the
    /// default) instead of each being summed: the same bits either way.</param>
    public void MaxOverTime(ReadOnlySpan<int> ids, int sequences, ReadOnlySpan<float> bias, Span<float> output, int ldOutput, bool skipPadding = true)
        => MaxOverTime(KernelSet.Current, ids, sequences, bias, output, ldOutput, skipPadding);

    /// <summary>As the public overload, on an explicit kernel set.</summary>
    internal void MaxOverTime(KernelSet kernels, ReadOnlySpan<int> ids, int sequences, ReadOnlySpan<float> bias, Span<float> output, int ldOutput, bool skipPadding)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(sequences);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldOutput, Filters);
        int length = Length;
        if (ids.Length < (long)sequences * length) throw new ArgumentException("ids is shorter than sequences x Length.", nameof(ids));
        if (bias.Length < Filters) throw new ArgumentException("bias needs one value per filter.", nameof(bias));
        Sgemm.CheckOperand(nameof(output), output.Length, sequences, Filters, ldOutput, true);
        ids = ids[..(sequences * length)];
        for (int q = 0; q < ids.Length; q++)
        {
            int id = ids[q];
            if ((uint)id >= (uint)Vocabulary) throw new ArgumentOutOfRangeException(nameof(ids), id, $"id {q % Math.Max(1, length)} of sequence {q / Math.Max(1, length)} is outside 0 .. {Vocabulary - 1}.");
            if (!Volatile.Read(ref ready[id])) Fill(id);
        }

        fixed (int* idBase = ids)
        fixed (float* outBase = output)
        fixed (float* paddingBase = paddingWindows)
        fixed (float* biasBase = bias)
        {
            for (int s = 0; s < sequences; s++)
            {
                int* sequence = idBase + (nint)s * length;
                int head = length; // ids before the padding tail
                if (skipPadding) while (head > 0 && sequence[head - 1] == PaddingId) head--;
                float* row = outBase + (nint)s * ldOutput;
                for (int i = 0; i < banks.Length; i++)
                {
                    int width = banks[i].Width, filters = banks[i].Filters;
                    float* best = row + bankColumns[i];
                    int positions = length - width + 1;
                    if (positions <= 0)
                    {
                        new Span<float>(best, filters).Fill(float.NegativeInfinity);
                        continue;
                    }
                    // Windows starting in the head are summed; the later ones lie in the padding tail.
                    int summed = Math.Min(head, positions);
                    var paddingWindow = new ReadOnlySpan<float>(paddingBase + bankColumns[i], filters);
                    if (summed == 0) paddingWindow.CopyTo(new Span<float>(best, filters));
                    else
                    {
                        kernels.FoldedWindows(responses + bankTaps[i], perId, width, filters, sequence, summed, best);
                        if (summed < positions) kernels.MaxInto(paddingWindow, new Span<float>(best, filters));
                    }
                    kernels.Add(new ReadOnlySpan<float>(biasBase + bankColumns[i], filters), new Span<float>(best, filters));
                }
            }
        }
    }

    /// <summary>
    /// best[f] = max over t &lt; windows of sum_{k &lt; width} R[ids[t + k], k, f], the sum in tap order: R points at a
    /// bank's responses within id 0's block, ids' blocks perId floats apart.
    /// </summary>
    internal static void Windows<TSimd, TVec>(float* responses, int perId, int width, int filters, int* ids, int windows, float* best)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        int lanes = TSimd.Count, f = 0;
        for (; f + 4 * lanes <= filters; f += 4 * lanes) Block4<TSimd, TVec>(responses, perId, width, filters, ids, windows, best, f);
        for (; f + lanes <= filters; f += lanes) Block1<TSimd, TVec>(responses, perId, width, filters, ids, windows, best, f);
        for (; f < filters; f++) Block1<SimdScalar, float>(responses, perId, width, filters, ids, windows, best, f);
    }

    /// <summary>Filters f .. f + 4 x Count - 1: four independent chains of adds per window.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block4<TSimd, TVec>(float* responses, int perId, int width, int filters, int* ids, int windows, float* best, int f)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        nuint lanes = (nuint)TSimd.Count;
        TVec m0 = default, m1 = default, m2 = default, m3 = default;
        for (int t = 0; t < windows; t++)
        {
            ref float r = ref Tap(responses, perId, filters, ids, t, 0, f);
            TVec a0 = TSimd.Load(ref r, 0), a1 = TSimd.Load(ref r, lanes), a2 = TSimd.Load(ref r, 2 * lanes), a3 = TSimd.Load(ref r, 3 * lanes);
            for (int k = 1; k < width; k++)
            {
                r = ref Tap(responses, perId, filters, ids, t, k, f);
                a0 = TSimd.Add(a0, TSimd.Load(ref r, 0));
                a1 = TSimd.Add(a1, TSimd.Load(ref r, lanes));
                a2 = TSimd.Add(a2, TSimd.Load(ref r, 2 * lanes));
                a3 = TSimd.Add(a3, TSimd.Load(ref r, 3 * lanes));
            }
            if (t == 0) (m0, m1, m2, m3) = (a0, a1, a2, a3);
            else (m0, m1, m2, m3) = (TSimd.Max(a0, m0), TSimd.Max(a1, m1), TSimd.Max(a2, m2), TSimd.Max(a3, m3));
        }
        ref float b = ref best[f];
        TSimd.Store(m0, ref b, 0);
        TSimd.Store(m1, ref b, lanes);
        TSimd.Store(m2, ref b, 2 * lanes);
        TSimd.Store(m3, ref b, 3 * lanes);
    }

    /// <summary>Filters f .. f + Count - 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Block1<TSimd, TVec>(float* responses, int perId, int width, int filters, int* ids, int windows, float* best, int f)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec m = default;
        for (int t = 0; t < windows; t++)
        {
            TVec a = TSimd.Load(ref Tap(responses, perId, filters, ids, t, 0, f), 0);
            for (int k = 1; k < width; k++) a = TSimd.Add(a, TSimd.Load(ref Tap(responses, perId, filters, ids, t, k, f), 0));
            m = t == 0 ? a : TSimd.Max(a, m);
        }
        TSimd.Store(m, ref best[f], 0);
    }

    /// <summary>R[ids[t + k], k, f]: tap k of the id at position t + k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ref float Tap(float* responses, int perId, int filters, int* ids, int t, int k, int f)
        => ref responses[(nint)ids[t + k] * perId + (nint)k * filters + f];

    /// <summary>
    /// Computes id's responses (once, whichever thread gets there first): per tap, the sum over channels of the
    /// embedding value times the filter row, in float64 (vectorised; each product of two floats is exact in float64,
    /// so only the additions round), then rounded to float once.
    /// </summary>
    private void Fill(int id)
    {
        lock (filling)
        {
            if (ready[id]) return;
            var vector = embedding.Span.Slice(id * channels, channels);
            float* block = responses + (nint)id * perId;
            for (int i = 0; i < banks.Length; i++)
            {
                var bank = banks[i];
                var filter = bank.Filter.Span;
                int n = bank.Filters;
                for (int k = 0; k < bank.Width; k++)
                {
                    var sum = fillSums.AsSpan(0, n);
                    sum.Clear();
                    for (int e = 0; e < channels; e++)
                    {
                        var weights = fillRow.AsSpan(0, n);
                        TensorPrimitives.ConvertChecked<float, double>(filter.Slice((k * channels + e) * n, n), weights);
                        TensorPrimitives.MultiplyAdd(weights, (double)vector[e], sum, sum);
                    }
                    TensorPrimitives.ConvertChecked<double, float>(sum, new Span<float>(block + bankTaps[i] + k * n, n));
                }
            }
            Volatile.Write(ref ready[id], true);
        }
    }

    /// <summary>Frees the responses.</summary>
    public void Dispose()
    {
        lock (filling)
        {
            if (disposed) return;
            disposed = true;
            AlignedMemory.Free(responses, TableBytes);
        }
        GC.SuppressFinalize(this);
    }

    /// <summary>Frees the responses of a convolution that was never disposed.</summary>
    ~FoldedConvolution()
    {
        if (!disposed) AlignedMemory.Free(responses, TableBytes);
    }
}
