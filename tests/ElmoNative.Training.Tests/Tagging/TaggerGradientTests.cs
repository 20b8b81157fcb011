using ElmoNative.Training.Tagging;

namespace ElmoNative.Training.Tests.Tagging;

/// <summary>
/// The tagger network's backward pass (learned scalar mix + optional hidden layer + softmax) against central finite
/// differences, and its loss against a naive double-precision forward written out loop by loop.
/// </summary>
public sealed class TaggerGradientTests
{
    private const int Layers = 3, Dim = 6, Classes = 5, Tokens = 9;

    [Theory]
    [InlineData(0)]
    [InlineData(4)]
    public void GradientMatchesFiniteDifferences(int hidden)
    {
        var random = new Random(11 + hidden);
        var layout = new TaggerLayout(Layers, Dim, hidden, Classes);
        var parameters = TaggerTrainer.Initialize(layout, seed: 3);
        // A mix away from its start (unequal weights, gamma != 1) so every term of the backward pass counts.
        parameters[0] = 0.4f; parameters[1] = -0.3f; parameters[2] = 0.1f; parameters[layout.GammaOffset] = 1.3f;
        for (int i = layout.HiddenBiasOffset; i < layout.HiddenBiasOffset + hidden; i++) parameters[i] = (float)(random.NextDouble() * 0.2);
        var features = Enumerable.Range(0, Tokens * Layers * Dim).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var labels = Enumerable.Range(0, Tokens).Select(_ => random.Next(Classes)).ToArray();
        var network = new TaggerNetwork(layout, parameters);

        var gradient = new float[layout.Size];
        double loss = network.Loss(features, labels, gradient);
        var (naive, _) = NaiveLoss(layout, parameters, features, labels);
        Assert.Equal(naive, loss, 5);

        var failures = new List<string>();
        (double, ulong) Evaluate() => (network.Loss(features, labels, new float[layout.Size]), NaiveLoss(layout, parameters, features, labels).ReluSignature);
        void Check(string name, int offset, int count) =>
            FiniteDifference.Check(name, parameters.AsSpan(offset, count), gradient.AsSpan(offset, count), Evaluate, random, probes: Math.Min(count, 12), failures);
        Check("mix w", TaggerLayout.MixOffset, Layers);
        Check("gamma", layout.GammaOffset, 1);
        if (hidden > 0)
        {
            Check("W1", layout.HiddenWeightOffset, Dim * hidden);
            Check("b1", layout.HiddenBiasOffset, hidden);
        }
        Check("W", layout.OutputWeightOffset, layout.ClassifierInput * Classes);
        Check("b", layout.OutputBiasOffset, Classes);
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Contains(gradient.AsSpan(0, Layers).ToArray(), g => g != 0); // the mix does get a gradient
    }

    [Fact]
    public void FixedLayerHasNoMixGradientAndUsesTheLayerAsItIs()
    {
        var layout = new TaggerLayout(1, Dim, 0, Classes);
        var parameters = TaggerTrainer.Initialize(layout, seed: 5);
        var random = new Random(2);
        var features = Enumerable.Range(0, Tokens * Dim).Select(_ => (float)random.NextDouble()).ToArray();
        var labels = Enumerable.Range(0, Tokens).Select(_ => random.Next(Classes)).ToArray();
        var gradient = new float[layout.Size];
        double loss = new TaggerNetwork(layout, parameters).Loss(features, labels, gradient);
        Assert.Equal(NaiveLoss(layout, parameters, features, labels).Loss, loss, 5);
        Assert.Equal(0f, gradient[0]);
        Assert.Equal(0f, gradient[layout.GammaOffset]);
    }

    /// <summary>The mean cross-entropy, computed naively in double, and the signs of the hidden pre-activations (kinks).</summary>
    internal static (double Loss, ulong ReluSignature) NaiveLoss(TaggerLayout l, float[] p, float[] features, int[] labels)
    {
        int n = labels.Length;
        double[] s = new double[l.Layers];
        if (l.Layers > 1)
        {
            double max = Enumerable.Range(0, l.Layers).Max(j => (double)p[j]);
            double sum = Enumerable.Range(0, l.Layers).Sum(j => Math.Exp(p[j] - max));
            for (int j = 0; j < l.Layers; j++) s[j] = Math.Exp(p[j] - max) / sum;
        }
        double gamma = l.Layers > 1 ? p[l.GammaOffset] : 1;
        if (l.Layers == 1) s[0] = 1;
        double loss = 0;
        ulong signature = 1469598103934665603UL;
        for (int t = 0; t < n; t++)
        {
            var x = new double[l.Dim];
            for (int d = 0; d < l.Dim; d++)
                for (int j = 0; j < l.Layers; j++) x[d] += gamma * s[j] * features[(t * l.Layers + j) * l.Dim + d];
            var input = x;
            if (l.Hidden > 0)
            {
                input = new double[l.Hidden];
                for (int h = 0; h < l.Hidden; h++)
                {
                    double a = p[l.HiddenBiasOffset + h];
                    for (int d = 0; d < l.Dim; d++) a += x[d] * p[l.HiddenWeightOffset + d * l.Hidden + h];
                    signature = (signature ^ (a > 0 ? 1UL : 0UL)) * 1099511628211UL;
                    input[h] = Math.Max(a, 0);
                }
            }
            var logits = new double[l.Classes];
            for (int c = 0; c < l.Classes; c++)
            {
                logits[c] = p[l.OutputBiasOffset + c];
                for (int i = 0; i < input.Length; i++) logits[c] += input[i] * p[l.OutputWeightOffset + i * l.Classes + c];
            }
            double m = logits.Max();
            loss += m + Math.Log(logits.Sum(v => Math.Exp(v - m))) - logits[labels[t]];
        }
        return (loss / n, signature);
    }
}
