using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ElmoNative.Tests;

/// <summary>Sentence vectors (mean and max over tokens) against a direct double computation, for any n and D.</summary>
public class SentencePoolingTests
{
    [Property(MaxTest = 200)]
    public Property PoolEqualsDirectComputation(PositiveInt tokenCount, PositiveInt width, int seed, bool max) =>
        Prop.ToProperty(Check(tokenCount.Get % 40 + 1, width.Get % 70 + 1, seed, max ? Pooling.Max : Pooling.Mean));

    private static bool Check(int n, int d, int seed, Pooling pooling)
    {
        var random = new Random(seed);
        var tokens = new float[n * d];
        for (int i = 0; i < tokens.Length; i++) tokens[i] = (float)(random.NextDouble() * 8 - 4);
        var destination = new float[d + 3];
        destination.AsSpan().Fill(123f); // values past D must stay untouched
        SentencePooling.Pool(tokens, d, pooling, destination);
        for (int j = 0; j < d; j++)
        {
            double expected = pooling == Pooling.Max ? double.NegativeInfinity : 0;
            for (int t = 0; t < n; t++)
                expected = pooling == Pooling.Max ? Math.Max(expected, tokens[t * d + j]) : expected + tokens[t * d + j];
            if (pooling == Pooling.Mean) expected /= n;
            if (Math.Abs(destination[j] - expected) > 1e-5 * (1 + Math.Abs(expected))) return false;
        }
        return destination.AsSpan(d).IndexOfAnyExcept(123f) < 0;
    }

    [Fact]
    public void BadShapesAreRejected()
    {
        var y = new float[4];
        Assert.Throws<ArgumentException>(() => SentencePooling.Pool(Array.Empty<float>(), 4, Pooling.Mean, y));
        Assert.Throws<ArgumentException>(() => SentencePooling.Pool(new float[6], 4, Pooling.Mean, y));
        Assert.Throws<ArgumentException>(() => SentencePooling.Pool(new float[8], 4, Pooling.Max, new float[3]));
    }
}
