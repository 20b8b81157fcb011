using ElmoNative.Training.Data;
using FsCheck;
using FsCheck.Xunit;

namespace ElmoNative.KneserNey.Tests;

/// <summary>
/// The Kneser-Ney baseline (tools/ElmoNative.KneserNey): distributions that sum to 1, and counts, discounts and
/// probabilities worked out by hand on a three-sentence text.
/// </summary>
public sealed class KneserNeyModelTests
{
    // Ids: 0 <S>, 1 </S>, 2 <UNK>, 3 a, 4 b (vocabulary size 5; four predictable tokens).
    private const int Begin = 0, End = 1, Unknown = 2, A = 3, B = 4;

    /// <summary>"a b", "a", "b b".</summary>
    private static readonly int[][] Text = [[A, B], [A], [B, B]];

    private static KneserNeyModel Bigrams() => new(Text, order: 2, vocabularySize: 5, Begin, End);

    [Property(MaxTest = 60)]
    public void EveryContextsDistributionSumsToOneOverTheVocabularyIncludingEndAndUnk(PositiveInt corpusSeed, PositiveInt orderSeed, int contextSeed)
    {
        var random = new Random(corpusSeed.Get);
        int vocabulary = 4 + random.Next(10);
        int order = 1 + orderSeed.Get % 5;
        var sentences = Enumerable.Range(0, 1 + random.Next(30))
            .Select(_ => Enumerable.Range(0, random.Next(8)).Select(_ => 2 + random.Next(vocabulary - 2)).ToArray()).ToList();
        var model = new KneserNeyModel(sentences, order, vocabulary, Begin, End);
        var pick = new Random(contextSeed);
        // Contexts seen in the text (a sentence prefix from <S>) and random ones (mostly unseen), of every length.
        var contexts = new List<int[]>();
        foreach (var s in sentences.Take(5))
        {
            int[] framed = [Begin, .. s];
            contexts.Add(framed[..(1 + pick.Next(framed.Length))]);
        }
        for (int k = 0; k < 5; k++) contexts.Add(Enumerable.Range(0, pick.Next(6)).Select(_ => 1 + pick.Next(vocabulary - 1)).ToArray());
        contexts.Add([]);
        foreach (int[] context in contexts)
        {
            double sum = 0;
            for (int w = 0; w < vocabulary; w++)
            {
                double p = model.Probability(context, w);
                Assert.True(w == Begin ? p == 0 : p > 0, $"p({w} | {string.Join(' ', context)}) = {p}");
                sum += p;
            }
            Assert.Equal(1.0, sum, 1e-12);
        }
    }

    [Fact]
    public void DiscountsAreChenAndGoodmansEstimates()
    {
        // Y = 10 / (10 + 2 x 5) = 0.5; D1 = 1 - 2 x 0.5 x 5/10; D2 = 2 - 3 x 0.5 x 3/5; D3+ = 3 - 4 x 0.5 x 2/3.
        var d = Discounts.Estimate(10, 5, 3, 2);
        Assert.Equal(0.5, d.One, 1e-12);
        Assert.Equal(1.1, d.Two, 1e-12);
        Assert.Equal(3 - 4.0 / 3, d.ThreePlus, 1e-12);
        Assert.Equal(new Discounts(0.5, 1, 1.5), Discounts.Estimate(4, 2, 0, 0)); // undefined: the fallback
    }

    [Fact]
    public void LowerOrdersCountDistinctPredecessorsExceptAfterTheSentenceStart()
    {
        var bigram = Bigrams();
        // Unigrams: a follows {<S>}, b follows {a, <S>, b}, </S> follows {b, a}.
        Assert.Equal(new Dictionary<string, long> { ["3"] = 1, ["4"] = 3, ["1"] = 2 }, Table(bigram, 1));
        // Bigrams are the highest order here: raw counts.
        Assert.Equal(new Dictionary<string, long> { ["0 3"] = 2, ["3 4"] = 1, ["4 1"] = 2, ["3 1"] = 1, ["0 4"] = 1, ["4 4"] = 1 }, Table(bigram, 2));
        // In a trigram model "<S> a" keeps its raw count 2 (nothing precedes <S>); "a b" counts its predecessors {<S>}.
        var trigram = new KneserNeyModel(Text, order: 3, vocabularySize: 5, Begin, End);
        var bigrams = Table(trigram, 2);
        Assert.Equal(2, bigrams["0 3"]);
        Assert.Equal(1, bigrams["3 4"]);
        Assert.Equal(1, bigrams["4 4"]); // "<S> b b": the predecessor of "b b" is <S>
        Assert.Equal(2, bigrams["4 1"]); // after "a b" and "b b": predecessors a and b
    }

    [Fact]
    public void BigramProbabilitiesEqualTheHandComputedOnes()
    {
        // Both orders have a zero count of counts, so D = 0.5, 1, 1.5. Unigrams: total 6, gamma = (0.5 + 1 + 1.5) / 6 = 0.5,
        // uniform 1/4: p1(a) = 0.5/6 + 0.125, p1(b) = 1.5/6 + 0.125, p1(</S>) = 1/6 + 0.125, p1(<UNK>) = 0.125.
        var m = Bigrams();
        double a1 = 0.5 / 6 + 0.125, b1 = 1.5 / 6 + 0.125, end1 = 1.0 / 6 + 0.125;
        Assert.Equal(a1, m.Probability([], A), 1e-12);
        Assert.Equal(b1, m.Probability([], B), 1e-12);
        Assert.Equal(end1, m.Probability([], End), 1e-12);
        Assert.Equal(0.125, m.Probability([], Unknown), 1e-12);
        Assert.Equal(0, m.Probability([], Begin));
        // After a: (a b) 1, (a </S>) 1: total 2, gamma = 0.5 x 2 / 2.
        Assert.Equal((1 - 0.5) / 2 + 0.5 * b1, m.Probability([A], B), 1e-12);
        // After <S>: (<S> a) 2, (<S> b) 1: total 3, gamma = (1 + 0.5) / 3.
        Assert.Equal((2 - 1.0) / 3 + 0.5 * a1, m.Probability([Begin], A), 1e-12);
        // After b: (b </S>) 2, (b b) 1; <UNK> unseen there.
        Assert.Equal(0.5 * 0.125, m.Probability([B], Unknown), 1e-12);
        // Only the last order - 1 tokens of a longer context count; an unseen context leaves everything to the unigrams.
        Assert.Equal(m.Probability([A], B), m.Probability([Begin, B, A], B), 1e-15);
        var trigram = new KneserNeyModel(Text, order: 3, vocabularySize: 5, Begin, End);
        Assert.Equal(trigram.Probability([A], B), trigram.Probability([Unknown, A], B), 1e-15);

        // A sentence's loss: a after <S>, b after a, </S> after b; 3 tokens.
        var (loss, tokens) = m.SentenceLoss([A, B]);
        Assert.Equal(3, tokens);
        double endAfterB = (2 - 1.0) / 3 + 0.5 * end1;
        Assert.Equal(-Math.Log(m.Probability([Begin], A)) - Math.Log(m.Probability([A], B)) - Math.Log(endAfterB), loss, 1e-12);
    }

    [Fact]
    public void TextIsReadAsElmoPerplexityReadsIt()
    {
        string path = Path.Combine(Path.GetTempPath(), $"kn-{Guid.NewGuid():N}.txt");
        try
        {
            File.WriteAllText(path, "a  b zzz\n\n   \nb\ta\n");
            var vocabulary = Vocabulary.FromTokens(["<S>", "</S>", "<UNK>", "a", "b"]);
            var forward = TextSentences.Read(path, vocabulary, reversed: false);
            Assert.Equal([[3, 4, 2], [4, 3]], forward);
            Assert.Equal([[2, 4, 3], [3, 4]], TextSentences.Read(path, vocabulary, reversed: true));
            var model = new KneserNeyModel(forward, 3, vocabulary.Count, vocabulary.BeginOfSentenceId, vocabulary.EndOfSentenceId);
            var (perplexity, tokens) = TextSentences.Perplexity(model, forward);
            Assert.Equal(7, tokens); // 5 words and 2 ends
            Assert.Equal(Math.Exp((model.SentenceLoss(forward[0]).Loss + model.SentenceLoss(forward[1]).Loss) / 7), perplexity, 1e-12);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static Dictionary<string, long> Table(KneserNeyModel model, int order) =>
        model.NGrams(order).ToDictionary(e => string.Join(' ', e.NGram), e => e.Count);
}
