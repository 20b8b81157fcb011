using ElmoNative.Kernels;

namespace ElmoNative.Training.Loss;

/// <summary>
/// TensorFlow's <c>log_uniform_candidate_sampler</c> with <c>unique=True</c>: ids 0 .. V-1 sorted by decreasing frequency
/// are drawn from the Zipfian distribution
/// <code>  P(k) = log((k + 2) / (k + 1)) / log(V + 1)  </code>
/// (a draw is floor(exp(u log(V + 1))) - 1 for u uniform in [0, 1)), with replacement, until S distinct ids have come up.
/// The number of draws that took ("tries") gives each id's expected count in the sample,
/// <code>  Q(k) = 1 - (1 - P(k))^tries  </code>
/// which the sampled softmax subtracts (as log Q) from the logits. Draws come from a SplitMix64 stream seeded by a key,
/// so a sample is a pure function of the key. No allocation after construction.
/// </summary>
internal sealed class LogUniformSampler
{
    private readonly int[] stamp;   // stamp[k] == current: k is already in the sample
    private readonly int[] position; // its index in Ids, valid when stamped
    private int current;
    private readonly double logRange;

    public LogUniformSampler(int vocabularySize, int samples)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        VocabularySize = vocabularySize;
        Samples = Math.Min(samples, vocabularySize);
        stamp = new int[vocabularySize];
        position = new int[vocabularySize];
        Ids = new int[Samples];
        logRange = Math.Log(vocabularySize + 1.0);
    }

    /// <summary>V.</summary>
    public int VocabularySize { get; }

    /// <summary>S distinct ids per draw (the option, capped at V).</summary>
    public int Samples { get; }

    /// <summary>The ids of the last draw, in the order they first came up.</summary>
    public int[] Ids { get; }

    /// <summary>Draws (with replacement) the last draw took.</summary>
    public long Tries { get; private set; }

    /// <summary>P(k).</summary>
    public double Probability(int k) => Math.Log((k + 2.0) / (k + 1.0)) / logRange;

    /// <summary>Q(k) = 1 - (1 - P(k))^tries for the last draw, computed as -expm1(tries log1p(-P(k))).</summary>
    public double ExpectedCount(int k)
    {
        double p = Probability(k);
        return -ExpM1(Tries * Log1P(-p));
    }

    /// <summary>Draws S distinct ids into <see cref="Ids"/> from the stream of <paramref name="key"/>.</summary>
    public void Sample(ulong key)
    {
        current++;
        if (current == int.MaxValue)
        {
            Array.Clear(stamp);
            current = 1;
        }
        ulong counter = key;
        long tries = 0;
        int found = 0;
        while (found < Samples)
        {
            counter += 0x9E3779B97F4A7C15UL;
            double u = (Gradients.Mix(counter) >> 11) * (1.0 / (1UL << 53));
            int k = (int)Math.Exp(u * logRange) - 1;
            if (k >= VocabularySize) k = VocabularySize - 1; // u * log(V + 1) rounding up to log(V + 1)
            tries++;
            if (stamp[k] == current) continue;
            stamp[k] = current;
            position[k] = found;
            Ids[found++] = k;
        }
        Tries = tries;
    }

    /// <summary>Whether id k is in the last draw.</summary>
    public bool Contains(int k) => stamp[k] == current;

    /// <summary>The index of id k in <see cref="Ids"/>, or -1 when k is not in the last draw.</summary>
    public int PositionOf(int k) => stamp[k] == current ? position[k] : -1;

    private static double Log1P(double x) => Math.Abs(x) < 1e-4 ? x - x * x / 2 + x * x * x / 3 : Math.Log(1 + x);

    private static double ExpM1(double x) => Math.Abs(x) < 1e-5 ? x + x * x / 2 + x * x * x / 6 : Math.Exp(x) - 1;
}
