// Reductions over one vector: softmax, log-sum-exp and the plain sum. Softmax and LogSumExp subtract the maximum
// first (the maximum is exact, so TensorPrimitives finds it), so they never overflow; their sum of exponentials runs on the lanes of the chosen SIMD variant (one
// accumulator per lane, the lanes summed at the end, then the tail one by one), which fixes each variant's order.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ElmoNative.Kernels.Simd;

namespace ElmoNative.Kernels;

/// <summary>Softmax, log-sum-exp and sum.</summary>
public static partial class Activations
{
    /// <summary>y = exp(x - max x) / sum exp(x - max x) (numerically stable softmax); x and y may be the same span.</summary>
    public static void Softmax(ReadOnlySpan<float> x, Span<float> y) => Softmax(KernelSet.Current, x, y);

    /// <summary>log(sum exp(x)), computed as max + log(sum exp(x - max)); negative infinity for an empty span.</summary>
    public static float LogSumExp(ReadOnlySpan<float> x) => LogSumExp(KernelSet.Current, x);

    /// <summary>The sum of x (0 for an empty span).</summary>
    /// <remarks>
    /// TensorPrimitives' sum, whose order follows the hardware's vector width rather than ELMONATIVE_SIMD; kept because the
    /// training loss uses it and its pinned bits are today's (see tests/ElmoNative.Training.Tests/TrainingHashTests.cs).
    /// </remarks>
    public static float Sum(ReadOnlySpan<float> x) => TensorPrimitives.Sum(x);

    /// <summary>Softmax on an explicit kernel set.</summary>
    internal static void Softmax(KernelSet kernels, ReadOnlySpan<float> x, Span<float> y)
    {
        CheckDestination(x.Length, y.Length, nameof(y));
        if (x.IsEmpty) return;
        float max = TensorPrimitives.Max(x);
        float sum = kernels.ExpShiftedSum(x, max, y[..x.Length]);
        kernels.Scale(y[..x.Length], 1f / sum);
    }

    /// <summary>LogSumExp on an explicit kernel set.</summary>
    internal static float LogSumExp(KernelSet kernels, ReadOnlySpan<float> x)
    {
        if (x.IsEmpty) return float.NegativeInfinity;
        float max = TensorPrimitives.Max(x);
        if (float.IsInfinity(max) || float.IsNaN(max)) return max;
        return max + MathF.Log(kernels.ExpShiftedSum(x, max, default));
    }

    /// <summary>Returns sum exp(x - shift) on the lanes TSimd, storing the terms in y unless y is empty.</summary>
    internal static float ExpShiftedSum<TSimd, TVec>(ReadOnlySpan<float> x, float shift, Span<float> y)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float xs = ref MemoryMarshal.GetReference(x);
        ref float ys = ref MemoryMarshal.GetReference(y);
        bool store = !y.IsEmpty;
        nuint n = (nuint)x.Length, i = 0;
        TVec acc = TSimd.Zero, s = TSimd.Create(shift);
        for (; i + (nuint)TSimd.Count <= n; i += (nuint)TSimd.Count)
        {
            TVec e = FastMath.Exp<TSimd, TVec>(TSimd.Subtract(TSimd.Load(ref xs, i), s));
            if (store) TSimd.Store(e, ref ys, i);
            acc = TSimd.Add(acc, e);
        }
        float sum = TSimd.Sum(acc);
        for (; i < n; i++)
        {
            float e = FastMath.Exp<SimdScalar, float>(Unsafe.Add(ref xs, i) - shift);
            if (store) Unsafe.Add(ref ys, i) = e;
            sum += e;
        }
        return sum;
    }
}
