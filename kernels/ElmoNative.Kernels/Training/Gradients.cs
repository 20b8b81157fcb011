// Element-wise backward passes (the derivative of an activation expressed through its saved output), bias
// gradients (column sums) and dropout masks. Spans in, spans out; nothing here knows about language models.
// Written with System.Numerics.Vector<T> (the widest vector the JIT supports) and a scalar tail.
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ElmoNative.Kernels;

/// <summary>Backward passes of element-wise functions, column sums and counter-based dropout masks.</summary>
public static class Gradients
{
    /// <summary>dy *= (y &gt; 0): the gradient through y = relu(x), from the saved output y.</summary>
    public static void ReluBackward(ReadOnlySpan<float> y, Span<float> dy)
    {
        Check(y.Length, dy.Length);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ds = ref MemoryMarshal.GetReference(dy);
        int n = dy.Length, i = 0;
        for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
        {
            var yv = Vector.LoadUnsafe(ref ys, (nuint)i);
            var dv = Vector.LoadUnsafe(ref ds, (nuint)i);
            Vector.ConditionalSelect(Vector.GreaterThan(yv, Vector<float>.Zero), dv, Vector<float>.Zero).StoreUnsafe(ref ds, (nuint)i);
        }
        for (; i < n; i++) if (!(Unsafe.Add(ref ys, i) > 0f)) Unsafe.Add(ref ds, i) = 0f;
    }

    /// <summary>dy *= 1 - y²: the gradient through y = tanh(x), from the saved output y.</summary>
    public static void TanhBackward(ReadOnlySpan<float> y, Span<float> dy)
    {
        Check(y.Length, dy.Length);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ds = ref MemoryMarshal.GetReference(dy);
        int n = dy.Length, i = 0;
        for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
        {
            var yv = Vector.LoadUnsafe(ref ys, (nuint)i);
            (Vector.LoadUnsafe(ref ds, (nuint)i) * (Vector<float>.One - yv * yv)).StoreUnsafe(ref ds, (nuint)i);
        }
        for (; i < n; i++)
        {
            float yi = Unsafe.Add(ref ys, i);
            Unsafe.Add(ref ds, i) *= 1f - yi * yi;
        }
    }

    /// <summary>dy *= y (1 - y): the gradient through y = sigmoid(x), from the saved output y.</summary>
    public static void SigmoidBackward(ReadOnlySpan<float> y, Span<float> dy)
    {
        Check(y.Length, dy.Length);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ds = ref MemoryMarshal.GetReference(dy);
        int n = dy.Length, i = 0;
        for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
        {
            var yv = Vector.LoadUnsafe(ref ys, (nuint)i);
            (Vector.LoadUnsafe(ref ds, (nuint)i) * yv * (Vector<float>.One - yv)).StoreUnsafe(ref ds, (nuint)i);
        }
        for (; i < n; i++)
        {
            float yi = Unsafe.Add(ref ys, i);
            Unsafe.Add(ref ds, i) *= yi * (1f - yi);
        }
    }

    /// <summary>
    /// dy = 0 where |y| &gt;= limit: the gradient through y = clip(x, -limit, limit), from the saved output y (a value
    /// sitting exactly on the limit counts as clipped). Nothing happens for an infinite limit.
    /// </summary>
    public static void ClipBackward(ReadOnlySpan<float> y, float limit, Span<float> dy)
    {
        Check(y.Length, dy.Length);
        if (float.IsPositiveInfinity(limit)) return;
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float ds = ref MemoryMarshal.GetReference(dy);
        int n = dy.Length, i = 0;
        var lim = new Vector<float>(limit);
        for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
        {
            var yv = Vector.Abs(Vector.LoadUnsafe(ref ys, (nuint)i));
            Vector.ConditionalSelect(Vector.LessThan(yv, lim), Vector.LoadUnsafe(ref ds, (nuint)i), Vector<float>.Zero).StoreUnsafe(ref ds, (nuint)i);
        }
        for (; i < n; i++) if (!(MathF.Abs(Unsafe.Add(ref ys, i)) < limit)) Unsafe.Add(ref ds, i) = 0f;
    }

    /// <summary>
    /// The gradient through y = g * t + (1 - g) * h: dg = dy (t - h), dt = dy g, dh = dy (1 - g). dh may be dy itself
    /// (it is written last for each element).
    /// </summary>
    public static void GatedMixBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> t, ReadOnlySpan<float> h,
        ReadOnlySpan<float> dy, Span<float> dg, Span<float> dt, Span<float> dh)
    {
        int n = dy.Length;
        if (g.Length < n || t.Length < n || h.Length < n || dg.Length < n || dt.Length < n || dh.Length < n)
            throw new ArgumentException("All spans must be at least as long as dy.");
        ref float gs = ref MemoryMarshal.GetReference(g);
        ref float ts = ref MemoryMarshal.GetReference(t);
        ref float hs = ref MemoryMarshal.GetReference(h);
        ref float dys = ref MemoryMarshal.GetReference(dy);
        ref float dgs = ref MemoryMarshal.GetReference(dg);
        ref float dts = ref MemoryMarshal.GetReference(dt);
        ref float dhs = ref MemoryMarshal.GetReference(dh);
        int i = 0;
        for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
        {
            var gv = Vector.LoadUnsafe(ref gs, (nuint)i);
            var dv = Vector.LoadUnsafe(ref dys, (nuint)i);
            (dv * (Vector.LoadUnsafe(ref ts, (nuint)i) - Vector.LoadUnsafe(ref hs, (nuint)i))).StoreUnsafe(ref dgs, (nuint)i);
            (dv * gv).StoreUnsafe(ref dts, (nuint)i);
            (dv * (Vector<float>.One - gv)).StoreUnsafe(ref dhs, (nuint)i);
        }
        for (; i < n; i++)
        {
            float gi = Unsafe.Add(ref gs, i), di = Unsafe.Add(ref dys, i);
            Unsafe.Add(ref dgs, i) = di * (Unsafe.Add(ref ts, i) - Unsafe.Add(ref hs, i));
            Unsafe.Add(ref dts, i) = di * gi;
            Unsafe.Add(ref dhs, i) = di * (1f - gi);
        }
    }

    /// <summary>sums[j] += sum over r of x[r * ld + j], for a [rows, sums.Length] matrix with row stride ld (bias gradients).</summary>
    public static void AddColumnSums(ReadOnlySpan<float> x, int rows, int ld, Span<float> sums)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(ld, sums.Length);
        Sgemm.CheckOperand(nameof(x), x.Length, rows, sums.Length, ld, true);
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(sums, x.Slice(r * ld, sums.Length), sums);
    }

    /// <summary>
    /// Fills <paramref name="mask"/> with an inverted-dropout mask: each element is 1 / keep with probability keep and 0
    /// otherwise. Element i depends only on (key, i) through a counter-based hash (SplitMix64), so a mask is
    /// reproducible from its key alone, whatever the order or the thread it is made in.
    /// </summary>
    public static void DropoutMask(ulong key, float keep, Span<float> mask)
    {
        if (!(keep > 0f && keep <= 1f)) throw new ArgumentOutOfRangeException(nameof(keep), keep, "keep must be in (0, 1].");
        if (keep == 1f)
        {
            mask.Fill(1f);
            return;
        }
        // Keep element i when its 24-bit uniform draw is below keep * 2^24.
        uint threshold = (uint)Math.Round(keep * (1 << 24));
        float scale = 1f / keep;
        for (int i = 0; i < mask.Length; i++)
            mask[i] = (uint)(Mix(key + (ulong)i * 0x9E3779B97F4A7C15UL) >> 40) < threshold ? scale : 0f;
    }

    /// <summary>SplitMix64's finalizer: a well-mixed 64-bit hash of z.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private static void Check(int source, int destination)
    {
        if (source < destination) throw new ArgumentException("The saved output is shorter than the gradient.");
    }
}
