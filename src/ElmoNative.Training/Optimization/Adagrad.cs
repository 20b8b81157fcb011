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
/// A zero gradient leaves both a and w unchanged, so the dense update equals TensorFlow's sparse one for the rows of
/// the embedding and softmax that a window does not touch.
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

    /// <summary>Scales the gradient by <paramref name="scale"/>, clips it to global norm <paramref name="clipNorm"/>, applies the update; returns the norm before clipping.</summary>
    public static double Step(Span<float> parameters, Span<float> accumulators, Span<float> gradient, float scale, float clipNorm, float learningRate)
    {
        long clock = PhaseTimer.Start();
        VectorOps.Scale(gradient, scale);
        double norm = GlobalNorm(gradient);
        if (norm > clipNorm) VectorOps.Scale(gradient, (float)(clipNorm / norm));
        clock = PhaseTimer.Stop(Phase.Norm, clock);
        AdagradUpdate.Apply(parameters, accumulators, gradient, learningRate);
        PhaseTimer.Stop(Phase.Optimizer, clock);
        return norm;
    }
}
