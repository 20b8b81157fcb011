using System.Numerics.Tensors;
using ElmoNative.Kernels;

namespace ElmoNative.Layers;

/// <summary>
/// Inverted dropout (Srivastava et al. 2014), as TensorFlow's <c>tf.nn.dropout</c> and <c>DropoutWrapper</c> do it:
/// <code>
///   forward:  mask = 1/keep with probability keep, else 0   (a fresh mask per element and step)   y = x mask
///   backward: dx = dy mask
/// </code>
/// The mask is a pure function of a 64-bit key (derived from the seed, the step, the direction and the layer), so a
/// resumed run draws exactly the masks an uninterrupted one would. Forward saves the mask.
/// </summary>
internal static class Dropout
{
    /// <summary>Fills mask from key and writes y = x * mask (y may be x).</summary>
    public static void Forward(ulong key, float keep, ReadOnlySpan<float> x, Span<float> mask, Span<float> y)
    {
        Gradients.DropoutMask(key, keep, mask[..x.Length]);
        TensorPrimitives.Multiply(x, mask[..x.Length], y);
    }

    /// <summary>dx = dy * mask (in place).</summary>
    public static void Backward(ReadOnlySpan<float> mask, Span<float> d) => TensorPrimitives.Multiply(d, mask[..d.Length], d);

    /// <summary>A well-mixed sub-key of <paramref name="key"/> for one use (a dropout mask, a sampler's draw).</summary>
    public static ulong SubKey(ulong key, int purpose) => Gradients.Mix(key ^ Gradients.Mix((ulong)purpose + 0x5851F42D4C957F2DUL));
}
