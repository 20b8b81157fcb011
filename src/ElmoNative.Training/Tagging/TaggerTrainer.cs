using ElmoNative.Kernels;
using ElmoNative.Training.Optimization;

namespace ElmoNative.Training.Tagging;

/// <summary>
/// Trains a <see cref="PosTagger"/> on cached ELMo features (docs/tagger.md, "Training"): minibatches of sentences in a
/// seeded random order, mean token cross-entropy, global-norm clipping, then Adagrad (the project's kernel,
/// <see cref="AdagradUpdate"/>) on all parameters at once, the mix's w and gamma included. After each epoch the
/// validation accuracy is measured; the parameters of the best epoch are the result.
/// </summary>
public static class TaggerTrainer
{
    /// <summary>The tag set of a training run: the scheme's fixed inventory, or (as-written) the training tags in order of first use.</summary>
    public static TagSet TagSetFor(TagScheme scheme, IReadOnlyList<TaggedSentence> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        return new TagSet(BrownTags.Inventory(scheme) ?? train.SelectMany(s => s.Tags).Distinct(StringComparer.Ordinal).ToArray());
    }

    /// <summary>The class index of every token; a tag outside <paramref name="tags"/> is an error naming the file and line.</summary>
    public static int[][] Labels(IReadOnlyList<TaggedSentence> sentences, TagSet tags, string path)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentNullException.ThrowIfNull(tags);
        var result = new int[sentences.Count][];
        for (int s = 0; s < sentences.Count; s++)
        {
            var sentence = sentences[s];
            result[s] = new int[sentence.Tags.Length];
            for (int t = 0; t < sentence.Tags.Length; t++)
            {
                int k = tags.IndexOf(sentence.Tags[t]);
                if (k < 0) throw new InvalidDataException($"{path}:{sentence.Line}: token {t + 1} '{sentence.Words[t]}/{sentence.Tags[t]}': tag '{sentence.Tags[t]}' is not one the tagger knows");
                result[s][t] = k;
            }
        }
        return result;
    }

    /// <summary>
    /// Trains on <paramref name="train"/> (features and labels) and keeps the epoch best on <paramref name="valid"/>.
    /// </summary>
    public static PosTagger Train(TaggerModelReference model, TagSet tags, TokenFeatures train, int[][] trainLabels, TokenFeatures valid, int[][] validLabels,
                                  TaggerTrainingOptions options, IProgress<TaggerTrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(trainLabels);
        ArgumentNullException.ThrowIfNull(valid);
        ArgumentNullException.ThrowIfNull(validLabels);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Epochs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSentences, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(options.Hidden);
        if (train.Count != trainLabels.Length || valid.Count != validLabels.Length) throw new ArgumentException("features and labels differ in sentence count");

        var layout = new TaggerLayout(train.Layers, train.Dim, options.Hidden, tags.Count);
        var parameters = Initialize(layout, options.Seed);
        var tagger = new PosTagger(model, options.Scheme, tags, options.Mix, layout, parameters);
        var network = tagger.Network;
        var gradient = new float[layout.Size];
        var accumulators = new float[layout.Size];
        Array.Fill(accumulators, options.InitialAccumulator);
        var best = (float[])parameters.Clone();
        double bestAccuracy = -1;
        var order = Enumerable.Range(0, train.Count).ToArray();
        var random = new Random(options.Seed);
        float[] buffer = [];
        var labels = new List<int>();
        var batch = new List<int>();
        long done = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            random.Shuffle(order);
            double lossSum = 0;
            long lossTokens = 0;
            for (int start = 0; start < order.Length; start += options.BatchSentences)
            {
                cancellation.ThrowIfCancellationRequested();
                batch.Clear();
                labels.Clear();
                for (int i = start; i < Math.Min(start + options.BatchSentences, order.Length); i++)
                {
                    batch.Add(order[i]);
                    labels.AddRange(trainLabels[order[i]]);
                }
                int tokens = train.Gather(batch, ref buffer);
                if (tokens == 0) continue;
                Array.Clear(gradient);
                double loss = network.Loss(buffer.AsSpan(0, tokens * train.TokenSize), labels.ToArray(), gradient);
                double norm = Adagrad.GlobalNorm(gradient);
                if (norm > options.ClipNorm) VectorOps.Scale(gradient, (float)(options.ClipNorm / norm));
                AdagradUpdate.Apply(parameters, accumulators, gradient, options.LearningRate);
                lossSum += loss * tokens;
                lossTokens += tokens;
                done += batch.Count;
                progress?.Report(new TaggerTrainingProgress(epoch, done, lossSum / lossTokens, null));
            }
            double accuracy = TaggerEvaluation.Accuracy(tagger.Predict(valid), validLabels);
            if (accuracy > bestAccuracy)
            {
                bestAccuracy = accuracy;
                parameters.CopyTo(best, 0);
            }
            progress?.Report(new TaggerTrainingProgress(epoch, done, lossTokens == 0 ? 0 : lossSum / lossTokens, accuracy));
        }
        best.CopyTo(parameters, 0);
        return tagger;
    }

    /// <summary>Initial parameters: mix w = 0 (equal weights), gamma = 1, weight matrices uniform in +-sqrt(6 / (in + out)) (Glorot), biases 0.</summary>
    public static float[] Initialize(TaggerLayout layout, int seed)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var p = new float[layout.Size];
        p[layout.GammaOffset] = 1;
        var random = new Random(seed);
        void Fill(int offset, int rows, int columns)
        {
            double limit = Math.Sqrt(6.0 / (rows + columns));
            for (int i = 0; i < rows * columns; i++) p[offset + i] = (float)((random.NextDouble() * 2 - 1) * limit);
        }
        if (layout.Hidden > 0) Fill(layout.HiddenWeightOffset, layout.Dim, layout.Hidden);
        Fill(layout.OutputWeightOffset, layout.ClassifierInput, layout.Classes);
        return p;
    }
}
