// NonFinite.IndexOf against a naive loop over float.IsFinite, on every variant, for lengths around the vector widths and
// NaN / infinity payloads at every position (the first one must win).
using FsCheck.Xunit;

namespace ElmoNative.Kernels.Tests;

public class NonFiniteTests
{
    private static readonly float[] Bad = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, BitConverter.Int32BitsToSingle(unchecked((int)0xFFC0_0001))];

    private static int Naive(ReadOnlySpan<float> values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }

    [Property(MaxTest = 200)]
    public void MatchesNaiveLoop(byte lengthRaw, int seed, byte badCount)
    {
        int n = lengthRaw % 70;
        var random = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++)
        {
            // Finite values of every magnitude, the largest and smallest included.
            x[i] = (random.Next(4)) switch
            {
                0 => float.MaxValue * (random.Next(2) == 0 ? 1 : -1),
                1 => float.Epsilon,
                _ => BitConverter.Int32BitsToSingle(random.Next() & 0x7F7F_FFFF | (random.Next(2) << 31)),
            };
        }
        for (int k = 0; k < badCount % 3 && n > 0; k++) x[random.Next(n)] = Bad[random.Next(Bad.Length)];
        int expected = Naive(x);
        foreach (SimdVariant variant in TestData.Variants)
            Assert.True(expected == NonFinite.IndexOf(variant, x), $"{variant}, length {n}: expected {expected}");
        Assert.Equal(expected, NonFinite.IndexOf(x));
    }

    [Fact]
    public void FindsTheFirstAtEveryPosition()
    {
        foreach (SimdVariant variant in TestData.Variants)
        {
            foreach (int n in new[] { 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100 })
            {
                var x = Enumerable.Range(0, n).Select(i => (float)i - 3.5f).ToArray();
                Assert.Equal(-1, NonFinite.IndexOf(variant, x));
                for (int at = 0; at < n; at++)
                {
                    foreach (float bad in Bad)
                    {
                        var y = (float[])x.Clone();
                        y[at] = bad;
                        if (at + 1 < n) y[n - 1] = float.NaN; // a later one must not win
                        Assert.Equal(at, NonFinite.IndexOf(variant, y));
                    }
                }
            }
        }
    }
}
