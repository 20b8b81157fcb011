using System.Globalization;

namespace ElmoNative.KneserNey;

/// <summary>
/// An interpolated modified Kneser-Ney n-gram language model (Chen and Goodman 1998), trained on sentences of token ids
/// (docs/models.md, "The shipped model and its card"). Each sentence is framed as <c>&lt;S&gt; w1 .. wn &lt;/S&gt;</c>: the words
/// and the end are predicted, the start never is, and no context reaches across a sentence start.
/// <para>
/// Counts: the highest order uses raw counts; a lower order uses continuation counts (the number of distinct words seen
/// before the n-gram), except for n-grams that begin with <c>&lt;S&gt;</c>, which nothing can precede and which keep
/// their raw counts. Each order has three discounts (<see cref="Discounts"/>) estimated from its own counts of counts.
/// </para>
/// <para>
/// p_k(w | h) = max(c(h w) - D_k(c(h w)), 0) / c(h) + gamma(h) p_(k-1)(w | h'), with
/// gamma(h) = (D1 N1(h) + D2 N2(h) + D3+ N3+(h)) / c(h), h' the context without its first token, and p_0 uniform over
/// the predictable tokens (every vocabulary entry but <c>&lt;S&gt;</c>). A context never seen leaves the whole mass to
/// the lower order. So every context's distribution sums to 1 over the predictable tokens.
/// </para>
/// </summary>
public sealed class KneserNeyModel
{
    private const int BitsPerToken = 16;

    private readonly Dictionary<(ulong Context, int Word), long>[] counts;   // by order - 1
    private readonly Dictionary<ulong, ContextStatistics>[] contexts;        // by order - 1
    private readonly Discounts[] discounts;
    private readonly int begin;

    /// <summary>
    /// Trains a model of order <paramref name="order"/> (1 to 4 tokens of context, so 1 .. 5) on
    /// <paramref name="sentences"/> (ids below <paramref name="vocabularySize"/>, without the boundaries, which are
    /// <paramref name="beginId"/> and <paramref name="endId"/>).
    /// </summary>
    public KneserNeyModel(IEnumerable<int[]> sentences, int order, int vocabularySize, int beginId, int endId)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, 64 / BitsPerToken + 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 2);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(vocabularySize, (1 << BitsPerToken) - 1);
        if (beginId == endId || (uint)beginId >= vocabularySize || (uint)endId >= vocabularySize)
            throw new ArgumentException("the sentence boundaries must be two different ids of the vocabulary");
        Order = order;
        VocabularySize = vocabularySize;
        begin = beginId;
        EndId = endId;
        var raw = new Dictionary<(ulong, int), long>[order];
        for (int k = 0; k < order; k++) raw[k] = [];
        var framed = new List<int>();
        foreach (int[] sentence in sentences)
        {
            Frame(sentence, framed);
            for (int i = 1; i < framed.Count; i++)
                for (int k = 1; k <= Math.Min(order, i + 1); k++)
                {
                    var key = (Encode(framed, i - k + 1, k - 1), framed[i]);
                    raw[k - 1][key] = raw[k - 1].GetValueOrDefault(key) + 1;
                }
        }
        counts = new Dictionary<(ulong, int), long>[order];
        counts[order - 1] = raw[order - 1];
        for (int k = order - 1; k >= 1; k--)
        {
            // Continuation counts of order k: distinct words before each k-gram, from the (k+1)-grams.
            var adjusted = new Dictionary<(ulong, int), long>(raw[k - 1].Count);
            foreach (var (context, word) in raw[k].Keys)
            {
                var shorter = (DropFirst(context, k), word);
                adjusted[shorter] = adjusted.GetValueOrDefault(shorter) + 1;
            }
            foreach (var (key, count) in raw[k - 1])
                if (StartsWithBegin(key.Item1, k - 1, key.Item2)) adjusted[key] = count; // nothing precedes <S>
            counts[k - 1] = adjusted;
        }
        contexts = new Dictionary<ulong, ContextStatistics>[order];
        discounts = new Discounts[order];
        for (int k = 0; k < order; k++)
        {
            var byContext = new Dictionary<ulong, ContextStatistics>();
            long[] countOfCounts = new long[5];
            foreach (var ((context, _), count) in counts[k])
            {
                ref var statistics = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(byContext, context, out _);
                statistics.Add(count);
                if (count <= 4) countOfCounts[count]++;
            }
            contexts[k] = byContext;
            discounts[k] = Discounts.Estimate(countOfCounts[1], countOfCounts[2], countOfCounts[3], countOfCounts[4]);
        }
    }

    /// <summary>n: the longest n-gram (order - 1 tokens of context).</summary>
    public int Order { get; }

    /// <summary>The number of ids; all but <c>&lt;S&gt;</c> can be predicted.</summary>
    public int VocabularySize { get; }

    /// <summary>The id of <c>&lt;/S&gt;</c>, predicted at the end of each sentence.</summary>
    public int EndId { get; }

    /// <summary>The discounts of order <paramref name="order"/> (1 .. <see cref="Order"/>).</summary>
    public Discounts DiscountsOf(int order) => discounts[order - 1];

    /// <summary>
    /// The n-grams of order <paramref name="order"/> with their adjusted counts (raw for the highest order and for those
    /// beginning with <c>&lt;S&gt;</c>, continuation counts otherwise), as token ids: the context, then the word.
    /// </summary>
    public IEnumerable<(int[] NGram, long Count)> NGrams(int order) =>
        counts[order - 1].Select(e => ((int[])[.. Decode(e.Key.Context, order - 1), e.Key.Word], e.Value));

    /// <summary>
    /// p(<paramref name="word"/> | <paramref name="context"/>): the context is the tokens before the word, oldest first,
    /// starting with <c>&lt;S&gt;</c> when it reaches the sentence start; only its last <see cref="Order"/> - 1 count.
    /// <c>&lt;S&gt;</c> itself has probability 0.
    /// </summary>
    public double Probability(ReadOnlySpan<int> context, int word)
    {
        if ((uint)word >= VocabularySize) throw new ArgumentOutOfRangeException(nameof(word), word, "not an id of the vocabulary");
        if (word == begin) return 0;
        if (context.Length > Order - 1) context = context[^(Order - 1)..];
        double p = 1.0 / (VocabularySize - 1); // uniform over the predictable tokens
        for (int k = 1; k <= context.Length + 1; k++)
        {
            ulong key = Encode(context[^(k - 1)..]);
            if (!contexts[k - 1].TryGetValue(key, out var s) || s.Total == 0) continue; // unseen context: all to the lower order
            var d = discounts[k - 1];
            long c = counts[k - 1].GetValueOrDefault((key, word));
            double gamma = (d.One * s.Ones + d.Two * s.Twos + d.ThreePlus * s.ThreesOrMore) / s.Total;
            p = Math.Max(c - d.For(c), 0) / s.Total + gamma * p;
        }
        return p;
    }

    /// <summary>
    /// The summed natural-log loss of a sentence (its words and the end, each given every token before it back to
    /// <c>&lt;S&gt;</c>) and the tokens predicted (words + 1).
    /// </summary>
    public (double Loss, int Tokens) SentenceLoss(ReadOnlySpan<int> sentence)
    {
        var framed = new List<int>(sentence.Length + 2);
        Frame(sentence.ToArray(), framed);
        var all = framed.ToArray();
        double loss = 0;
        for (int i = 1; i < all.Length; i++)
        {
            int from = Math.Max(0, i - (Order - 1));
            loss -= Math.Log(Probability(all.AsSpan(from, i - from), all[i]));
        }
        return (loss, all.Length - 1);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Order}-gram interpolated modified Kneser-Ney, {VocabularySize} ids, {string.Join(", ", counts.Select((c, k) => $"{c.Count} {k + 1}-grams"))}");

    private void Frame(int[] sentence, List<int> framed)
    {
        framed.Clear();
        framed.Add(begin);
        foreach (int id in sentence)
        {
            if ((uint)id >= VocabularySize) throw new ArgumentOutOfRangeException(nameof(sentence), id, "not an id of the vocabulary");
            if (id == begin || id == EndId) throw new ArgumentException("a sentence may not hold the boundary ids", nameof(sentence));
            framed.Add(id);
        }
        framed.Add(EndId);
    }

    private static ulong Encode(List<int> tokens, int start, int length)
    {
        ulong key = 0;
        for (int i = 0; i < length; i++) key = (key << BitsPerToken) | (uint)(tokens[start + i] + 1);
        return key;
    }

    private static ulong Encode(ReadOnlySpan<int> tokens)
    {
        ulong key = 0;
        foreach (int t in tokens) key = (key << BitsPerToken) | (uint)(t + 1);
        return key;
    }

    private static int[] Decode(ulong key, int length)
    {
        var tokens = new int[length];
        for (int i = length - 1; i >= 0; i--, key >>= BitsPerToken) tokens[i] = (int)(key & ((1UL << BitsPerToken) - 1)) - 1;
        return tokens;
    }

    /// <summary>The context of <paramref name="length"/> tokens without its first (oldest) one.</summary>
    private static ulong DropFirst(ulong context, int length) =>
        length <= 1 ? 0 : context & ((1UL << (BitsPerToken * (length - 1))) - 1);

    /// <summary>Whether the n-gram (context of <paramref name="length"/> tokens, then the word) begins with &lt;S&gt;.</summary>
    private bool StartsWithBegin(ulong context, int length, int word) =>
        length == 0 ? word == begin : (int)(context >> (BitsPerToken * (length - 1))) - 1 == begin;
}
