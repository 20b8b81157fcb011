// The Adagrad update over a block of parameters, one pass: a += g^2; w -= lr * g / sqrt(a).
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ElmoNative.Kernels;

/// <summary>The element-wise Adagrad update.</summary>
public static class AdagradUpdate
{
    /// <summary>accumulators += gradient^2; parameters -= learningRate * gradient / sqrt(accumulators).</summary>
    public static void Apply(Span<float> parameters, Span<float> accumulators, ReadOnlySpan<float> gradient, float learningRate)
    {
        int n = parameters.Length;
        if (accumulators.Length != n || gradient.Length != n) throw new ArgumentException("parameters, accumulators and gradient must have the same length.");
        ref float w = ref MemoryMarshal.GetReference(parameters);
        ref float a = ref MemoryMarshal.GetReference(accumulators);
        ref float g = ref MemoryMarshal.GetReference(gradient);
        var lr = new Vector<float>(learningRate);
        int i = 0;
        for (; i + Vector<float>.Count <= n; i += Vector<float>.Count)
        {
            var gv = Vector.LoadUnsafe(ref g, (nuint)i);
            var av = Vector.LoadUnsafe(ref a, (nuint)i) + gv * gv;
            av.StoreUnsafe(ref a, (nuint)i);
            (Vector.LoadUnsafe(ref w, (nuint)i) - lr * gv / Vector.SquareRoot(av)).StoreUnsafe(ref w, (nuint)i);
        }
        for (; i < n; i++)
        {
            float gi = Unsafe.Add(ref g, i);
            float ai = Unsafe.Add(ref a, i) + gi * gi;
            Unsafe.Add(ref a, i) = ai;
            Unsafe.Add(ref w, i) -= learningRate * gi / MathF.Sqrt(ai);
        }
    }
}
