namespace ElmoNative.Kernels;

/// <summary>Valid 1-D convolution over sequences followed by max over time.</summary>
public static class Convolution1D
{
    /// <summary>
    /// input holds <paramref name="sequences"/> sequences of <paramref name="length"/> positions x <paramref name="channels"/>
    /// values, contiguous ([sequences, length, channels]). filter is [width * channels, filters] (row-major:
    /// row k * channels + e, column f). For each sequence s and filter f:
    /// output[s * ldOutput + f] = bias[f] + max over t in [0, length - width] of sum_{k, e} input[s, t + k, e] * filter[k * channels + e, f].
    /// </summary>
    public static void MaxOverTime(ReadOnlySpan<float> input, int sequences, int length, int channels,
        ReadOnlySpan<float> filter, int width, ReadOnlySpan<float> bias, Span<float> output, int ldOutput)
    {
        int filters = bias.Length;
        int positions = length - width + 1;
        for (int s = 0; s < sequences; s++)
        {
            var x = input.Slice(s * length * channels, length * channels);
            for (int f = 0; f < filters; f++)
            {
                float best = float.NegativeInfinity;
                for (int t = 0; t < positions; t++)
                {
                    float sum = 0f;
                    for (int q = 0; q < width * channels; q++) sum += x[t * channels + q] * filter[q * filters + f];
                    if (sum > best) best = sum;
                }
                output[s * ldOutput + f] = best + bias[f];
            }
        }
    }
}
