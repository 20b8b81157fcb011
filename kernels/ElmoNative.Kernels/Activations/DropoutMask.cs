// Counter-based inverted-dropout masks: element i of a mask depends only on (key, i), so a mask is reproducible from
// its key alone, whatever the order or the thread it is made in.
namespace ElmoNative.Kernels;

/// <summary>Dropout masks and the hash they are drawn from.</summary>
public static partial class Gradients
{
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
}
