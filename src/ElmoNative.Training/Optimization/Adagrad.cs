using ElmoNative.Kernels;
using ElmoNative.Training.Diagnostics;

namespace ElmoNative.Training.Optimization;

/// <summary>
/// Adagrad (Duchi et al. 2011) as TensorFlow's AdagradOptimizer applies it, after bilm-tf's global-norm clipping:
/// <code>
///   n = sqrt(sum over all parameters of g^2)          (g: the gradient of loss x unroll_steps)
///   g = g * clip / max(n, clip)                        (tf.clip_by_global_norm)
///   a += g^2        w -= lr g / sqrt(a)                (a starts at the initial accumulator value, 1.0)
/// </code>
/// A zero gradient leaves both a and w unchanged, so visiting only the rows of the softmax that a window touched
/// (<see cref="SparseTail"/>) gives exactly the dense update; it is what TensorFlow's sparse Adagrad update does.
/// </summary>
internal static class Adagrad
{
    /// <summary>sqrt(sum g^2), accumulated in double.</summary>
    public static double GlobalNorm(ReadOnlySpan<float> gradient)
    {
        double sum = 0;
        const int Chunk = 4096;
        for (int i = 0; i < gradient.Length; i += Chunk)
        {
            var part = gradient.Slice(i, Math.Min(Chunk, gradient.Length - i));
            sum += System.Numerics.Tensors.TensorPrimitives.Dot(part, part);
        }
        return Math.Sqrt(sum);
    }

    /// <summary>
    /// The dense step below over a block whose tail is a [V, P] table and its [V] bias (the softmax) with a gradient only in
    /// the rows <paramref name="tail"/> lists: the dense part [0, tail.WeightOffset) is visited whole, the table only in
    /// those rows (the gradient is zero elsewhere, so the norm and the update are the dense ones).
    /// </summary>
    public static double Step(Span<float> parameters, Span<float> accumulators, Span<float> gradient, SparseTail tail, float scale, float clipNorm, float learningRate)
    {
        double norm;
        using (PhaseTimer.Time(Phase.Norm)) norm = ScaleAndClip(gradient, tail, scale, clipNorm);
        using (PhaseTimer.Time(Phase.Optimizer)) Apply(parameters, accumulators, gradient, tail, learningRate);
        return norm;
    }

    /// <summary>Scales the gradient's dense part and listed softmax rows, clips them to the global norm; returns the norm before clipping.</summary>
    private static double ScaleAndClip(Span<float> gradient, SparseTail tail, float scale, float clipNorm)
    {
        var dense = gradient[..tail.WeightOffset];
        VectorOps.Scale(dense, scale);
        foreach (int r in tail.Rows)
        {
            VectorOps.Scale(tail.WeightRow(gradient, r), scale);
            gradient[tail.BiasOffset + r] *= scale;
        }
        double sum = 0;
        const int Chunk = 4096;
        for (int i = 0; i < dense.Length; i += Chunk)
        {
            var part = dense.Slice(i, Math.Min(Chunk, dense.Length - i));
            sum += System.Numerics.Tensors.TensorPrimitives.Dot(part, part);
        }
        foreach (int r in tail.Rows)
        {
            var row = tail.WeightRow(gradient, r);
            float b = gradient[tail.BiasOffset + r];
            sum += System.Numerics.Tensors.TensorPrimitives.Dot(row, row) + (double)b * b;
        }
        double norm = Math.Sqrt(sum);
        if (norm > clipNorm)
        {
            float clip = (float)(clipNorm / norm);
            VectorOps.Scale(dense, clip);
            foreach (int r in tail.Rows)
            {
                VectorOps.Scale(tail.WeightRow(gradient, r), clip);
                gradient[tail.BiasOffset + r] *= clip;
            }
        }
        return norm;
    }

    /// <summary>The Adagrad update of the dense part and of the listed softmax rows.</summary>
    private static void Apply(Span<float> parameters, Span<float> accumulators, Span<float> gradient, SparseTail tail, float learningRate)
    {
        AdagradUpdate.Apply(parameters[..tail.WeightOffset], accumulators[..tail.WeightOffset], gradient[..tail.WeightOffset], learningRate);
        foreach (int r in tail.Rows)
        {
            AdagradUpdate.Apply(tail.WeightRow(parameters, r), tail.WeightRow(accumulators, r), tail.WeightRow(gradient, r), learningRate);
            int b = tail.BiasOffset + r;
            AdagradUpdate.Apply(parameters.Slice(b, 1), accumulators.Slice(b, 1), gradient.Slice(b, 1), learningRate);
        }
    }

    /// <summary>Scales the gradient by <paramref name="scale"/>, clips it to global norm <paramref name="clipNorm"/>, applies the update; returns the norm before clipping.</summary>
    public static double Step(Span<float> parameters, Span<float> accumulators, Span<float> gradient, float scale, float clipNorm, float learningRate)
    {
        double norm;
        using (PhaseTimer.Time(Phase.Norm))
        {
            VectorOps.Scale(gradient, scale);
            norm = GlobalNorm(gradient);
            if (norm > clipNorm) VectorOps.Scale(gradient, (float)(clipNorm / norm));
        }
        using (PhaseTimer.Time(Phase.Optimizer)) AdagradUpdate.Apply(parameters, accumulators, gradient, learningRate);
        return norm;
    }
}

/// <summary>Where the sparse softmax sits in a parameter block, and which of its rows a step touched.</summary>
/// <param name="WeightOffset">Start of the [V, P] table; everything before it is dense.</param>
/// <param name="Width">P.</param>
/// <param name="BiasOffset">Start of the [V] bias.</param>
/// <param name="Touched">The rows with a gradient.</param>
internal readonly record struct SparseTail(int WeightOffset, int Width, int BiasOffset, TouchedRows Touched)
{
    /// <summary>The touched rows.</summary>
    public ReadOnlySpan<int> Rows => Touched.Rows;

    /// <summary>Row r of the table in a block.</summary>
    public Span<float> WeightRow(Span<float> block, int r) => block.Slice(WeightOffset + r * Width, Width);
}
