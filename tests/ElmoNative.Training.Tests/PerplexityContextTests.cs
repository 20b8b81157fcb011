using ElmoNative.Training.Data;

namespace ElmoNative.Training.Tests;

/// <summary>
/// The two protocols of <c>elmo perplexity</c> (docs/training.md): state carried across sentences, or reset per sentence.
/// The oracle of the per-sentence one is each sentence evaluated as a text of its own, from a zero state.
/// </summary>
public sealed class PerplexityContextTests
{
    private static readonly string[] Words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"];

    [Fact]
    public void PerSentenceEqualsEachSentenceEvaluatedAloneAndDiffersFromCarried()
    {
        using var dir = new TempFolder();
        var random = new Random(5);
        // Sentences of 1 to 12 words (longer than T = 3: several windows per group), one word out of the vocabulary.
        var sentences = Enumerable.Range(0, 9).Select(_ => Enumerable.Range(0, 1 + random.Next(12)).Select(_ => Words[random.Next(Words.Length)]).ToArray()).ToList();
        sentences[4][0] = "unseen";
        string all = dir.Write("all.txt", string.Concat(sentences.Select(s => string.Join(' ', s) + "\n")));
        var vocabulary = Vocabulary.FromTokens(["<S>", "</S>", "<UNK>", .. Words.Take(6)]);
        var options = TrainingTestSupport.Options(TrainingTestSupport.TinyModel(), vocabulary: vocabulary.Count, batch: 2, steps: 3, samples: 5);
        using var trainer = new BiLmTrainer(options, seed: 11);
        var corpus = TextCorpus.Open(all);

        var perSentence = Perplexities.Evaluate(trainer, corpus, vocabulary, PerplexityContext.PerSentence);
        double forward = 0, backward = 0;
        long tokens = 0;
        for (int i = 0; i < sentences.Count; i++)
        {
            string one = dir.Write($"s{i}.txt", string.Join(' ', sentences[i]) + "\n");
            var alone = Perplexities.Evaluate(trainer, TextCorpus.Open(one), vocabulary, PerplexityContext.Carried);
            forward += alone.ForwardLoss * alone.Tokens;
            backward += alone.BackwardLoss * alone.Tokens;
            tokens += alone.Tokens;
        }
        Assert.Equal(corpus.Tokens, perSentence.Tokens);
        Assert.Equal(tokens, perSentence.Tokens);
        Assert.Equal(forward / tokens, perSentence.ForwardLoss, 1e-5);
        Assert.Equal(backward / tokens, perSentence.BackwardLoss, 1e-5);

        var carried = Perplexities.Evaluate(trainer, corpus, vocabulary, PerplexityContext.Carried);
        Assert.Equal(perSentence.Tokens, carried.Tokens);
        Assert.True(Math.Abs(carried.ForwardLoss - perSentence.ForwardLoss) > 1e-4, "carrying the state must change the figure");
    }

    [Fact]
    public void TheReaderPadsEachGroupToItsLongestSentenceAndStartsGroupsOnTheirOwn()
    {
        using var dir = new TempFolder();
        string text = dir.Write("t.txt", "alpha beta gamma delta\nalpha\nbeta gamma\n");
        var vocabulary = Vocabulary.FromTokens(["<S>", "</S>", "<UNK>", "alpha", "beta", "gamma", "delta"]);
        var reader = new SentenceWindowReader(TextCorpus.Open(text), vocabulary, batch: 2, steps: 2, charsPerToken: 8);
        var window = new TrainingWindow(2, 2, 8);
        // Sorted by length: [alpha], [beta gamma] | [alpha beta gamma delta]; groups of 2 steps per window.
        Assert.Equal(2 + 3, reader.Windows);
        var forwardTargets = new List<int[]>();
        var starts = new List<bool>();
        while (reader.TryRead(window))
        {
            forwardTargets.Add((int[])window.TargetIds[0].Clone());
            starts.Add(reader.StartsGroup);
        }
        Assert.Equal([true, false, true, false, false], starts);
        // Row-major [b * T + t]; ids: <S> 0, </S> 1, alpha 3, beta 4, gamma 5, delta 6.
        Assert.Equal([3, 1, 4, 5], forwardTargets[0]);
        Assert.Equal([-1, -1, 1, -1], forwardTargets[1]);
        Assert.Equal([3, 4, -1, -1], forwardTargets[2]);
        Assert.Equal([5, 6, -1, -1], forwardTargets[3]);
        Assert.Equal([1, -1, -1, -1], forwardTargets[4]);
    }
}
