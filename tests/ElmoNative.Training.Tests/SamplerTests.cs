using ElmoNative.Training.Loss;
using MathNet.Numerics.Distributions;

namespace ElmoNative.Training.Tests;

/// <summary>The log-uniform candidate sampler and the sampled softmax's handling of true classes.</summary>
public class SamplerTests
{
    [Fact]
    public void SingleDrawsFollowTheLogUniformDistribution()
    {
        // With S = 1 every draw is one plain log-uniform draw; pool 20,000 of them and run a chi-square test.
        const int V = 50, Draws = 20000;
        var sampler = new LogUniformSampler(V, 1);
        var counts = new long[V];
        for (int i = 0; i < Draws; i++)
        {
            sampler.Sample((ulong)i * 7919 + 1);
            Assert.Equal(1, sampler.Tries);
            counts[sampler.Ids[0]]++;
        }
        // Merge the tail into bins with an expected count of at least 20.
        double chi2 = 0, expectedBin = 0, observedBin = 0;
        int bins = 0;
        for (int k = 0; k < V; k++)
        {
            expectedBin += Draws * sampler.Probability(k);
            observedBin += counts[k];
            if (expectedBin >= 20 || k == V - 1)
            {
                chi2 += (observedBin - expectedBin) * (observedBin - expectedBin) / expectedBin;
                bins++;
                expectedBin = observedBin = 0;
            }
        }
        double critical = ChiSquared.InvCDF(bins - 1, 0.999);
        Assert.True(chi2 < critical, $"chi2 = {chi2:F1} over {bins} bins, critical value {critical:F1}");
    }

    [Fact]
    public void ProbabilitiesSumToOne()
    {
        var sampler = new LogUniformSampler(1000, 10);
        double sum = 0;
        for (int k = 0; k < 1000; k++) sum += sampler.Probability(k);
        Assert.Equal(1.0, sum, 1e-12);
    }

    [Theory]
    [InlineData(100, 10)]
    [InlineData(16384, 8192)]
    [InlineData(20, 20)]
    public void DrawsHaveNoDuplicatesAndCountTheirTries(int v, int s)
    {
        var sampler = new LogUniformSampler(v, s);
        for (ulong key = 1; key <= 3; key++)
        {
            sampler.Sample(key);
            Assert.Equal(s, sampler.Ids.Distinct().Count());
            Assert.All(sampler.Ids, id => Assert.InRange(id, 0, v - 1));
            Assert.True(sampler.Tries >= s);
            for (int j = 0; j < s; j++) Assert.Equal(j, sampler.PositionOf(sampler.Ids[j]));
            int absent = Enumerable.Range(0, v).FirstOrDefault(k => !sampler.Ids.Contains(k), -1);
            if (absent >= 0) Assert.Equal(-1, sampler.PositionOf(absent));
        }
    }

    [Fact]
    public void ExpectedCountsMatchTheFrequencyOfIdsOverManyDraws()
    {
        // Q(k) = 1 - (1 - P(k))^tries is the probability that k is in a draw of that many tries. Fix the number of
        // tries by drawing S = 5 from V = 30 many times and compare Q(k) averaged over draws with the empirical frequency.
        const int V = 30, S = 5, Draws = 20000;
        var sampler = new LogUniformSampler(V, S);
        var seen = new double[V];
        var expected = new double[V];
        for (int i = 0; i < Draws; i++)
        {
            sampler.Sample((ulong)i + 12345);
            foreach (int id in sampler.Ids) seen[id]++;
            for (int k = 0; k < V; k++) expected[k] += sampler.ExpectedCount(k);
        }
        // Q(k) is TensorFlow's approximation (it ignores that the draw stops at S distinct ids); it tracks the truth closely.
        for (int k = 0; k < V; k++)
            Assert.True(Math.Abs(seen[k] / Draws - expected[k] / Draws) < 0.03, $"id {k}: frequency {seen[k] / Draws:F3}, mean Q {expected[k] / Draws:F3}");
        var one = new LogUniformSampler(V, 1);
        one.Sample(1);
        Assert.Equal(one.Probability(3), one.ExpectedCount(3), 1e-12); // one try: Q = P
    }

    [Fact]
    public void SameKeySameDraw()
    {
        var a = new LogUniformSampler(500, 40);
        var b = new LogUniformSampler(500, 40);
        a.Sample(99);
        b.Sample(5);
        b.Sample(99);
        Assert.Equal(a.Ids, b.Ids);
        Assert.Equal(a.Tries, b.Tries);
    }

    [Fact]
    public void AccidentalHitsAreRemovedAndTheLossMatchesANaiveComputation()
    {
        // A naive double-precision sampled softmax (TF's definition) as the oracle, with targets chosen among the sampled ids.
        const int N = 6, P = 4, V = 15, S = 6;
        var random = new Random(3);
        var x = Enumerable.Range(0, N * P).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var w = Enumerable.Range(0, V * P).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var b = Enumerable.Range(0, V).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
        var softmax = new SampledSoftmax(N, P, new LogUniformSampler(V, S));
        softmax.Sampler.Sample(77);
        var ids = softmax.Sampler.Ids.ToArray();
        int[] targets = [ids[0], ids[2], 14, -1, ids[5], 0];
        var (sum, count) = softmax.Forward(77, x, targets, w, b, 1f);
        Assert.Equal(5, count);

        double expected = 0;
        for (int n = 0; n < N; n++)
        {
            if (targets[n] < 0) continue;
            double Logit(int k) => Enumerable.Range(0, P).Sum(e => (double)x[n * P + e] * w[k * P + e]) + b[k] - Math.Log(softmax.Sampler.ExpectedCount(k));
            double trueLogit = Logit(targets[n]);
            var logits = new List<double> { trueLogit };
            foreach (int id in ids) if (id != targets[n]) logits.Add(Logit(id)); // accidental hit removed
            double max = logits.Max();
            expected += Math.Log(logits.Sum(l => Math.Exp(l - max))) + max - trueLogit;
        }
        Assert.Equal(expected, sum, 1e-4);

        // The gradient of an accidental hit's column is zero for that row: backward must not touch it.
        var dx = new float[N * P];
        var dw = new float[V * P];
        var db = new float[V];
        softmax.Backward(x, targets, w, dx);
        softmax.AddParameterGradients(x, targets, dw, db);
        Assert.All(dx.AsSpan(3 * P, P).ToArray(), v => Assert.Equal(0f, v)); // the padding row gets no gradient
        Assert.Equal(0.0, db.Sum(), 1e-5); // softmax gradients sum to zero per row (p - onehot)
    }
}
