// Max over time, the reduction behind the convolution + max-pool: best = max(best, row) one row of window sums at a
// time (inference, Convolution1D), and with the argmax (training, RaggedMaxOverTime): over the rows t < positions of a
// [positions, filters] block of window sums, the largest value of each column and the first row reaching it. Max is exact, so the result is the same on every variant. The row index is kept in a float lane
// as the bits of an int (selected, never rounded), so the index moves with the value in one vector select.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ElmoNative.Kernels.Simd;

namespace ElmoNative.Kernels;

/// <summary>Column maxima, with or without their first argmax.</summary>
internal static class MaxOverTime
{
    /// <summary>best = max(best, row) element-wise on the lanes TSimd (row at least as long as best).</summary>
    internal static void Into<TSimd, TVec>(ReadOnlySpan<float> row, Span<float> best)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float rs = ref MemoryMarshal.GetReference(row);
        ref float bs = ref MemoryMarshal.GetReference(best);
        nuint n = (nuint)best.Length, i = 0;
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count) TSimd.Store(TSimd.Max(TSimd.Load(ref bs, i), TSimd.Load(ref rs, i)), ref bs, i);
        for (; i < n; i++) Unsafe.Add(ref bs, i) = MathF.Max(Unsafe.Add(ref bs, i), Unsafe.Add(ref rs, i));
    }

    /// <summary>best[f] = bias[f] + max over t &lt; positions of c[t * filters + f]; at[f] = the first t reaching it.</summary>
    public static void MaxRows(ReadOnlySpan<float> c, int positions, int filters, ReadOnlySpan<float> bias, Span<float> best, Span<int> at)
        => KernelSet.Current.ArgMaxRows(c, positions, filters, bias, best, at);

    /// <summary>MaxRows on the lanes TSimd.</summary>
    internal static void MaxRows<TSimd, TVec>(ReadOnlySpan<float> c, int positions, int filters, ReadOnlySpan<float> bias, Span<float> best, Span<int> at)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        c[..filters].CopyTo(best);
        at[..filters].Clear();
        ref float bs = ref MemoryMarshal.GetReference(best);
        ref float ats = ref Unsafe.As<int, float>(ref MemoryMarshal.GetReference(at));
        nuint n = (nuint)filters;
        for (int t = 1; t < positions; t++)
        {
            ref float row = ref Unsafe.Add(ref MemoryMarshal.GetReference(c), (nint)t * filters);
            float index = BitConverter.Int32BitsToSingle(t);
            TVec indices = TSimd.Create(index);
            nuint f = 0;
            for (; f + (nuint)TSimd.Count <= n; f += (nuint)TSimd.Count) At<TSimd, TVec>(ref row, ref bs, ref ats, f, indices);
            for (; f < n; f++) At<SimdScalar, float>(ref row, ref bs, ref ats, f, index);
        }
        for (int f = 0; f < filters; f++) best[f] += bias[f];
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void At<TSimd, TVec>(ref float row, ref float best, ref float at, nuint f, TVec index)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec v = TSimd.Load(ref row, f);
        TVec b = TSimd.Load(ref best, f);
        TSimd.Store(TSimd.SelectWhereGreater(v, b, index, TSimd.Load(ref at, f)), ref at, f);
        TSimd.Store(TSimd.SelectWhereGreater(v, b, v, b), ref best, f);
    }
}
