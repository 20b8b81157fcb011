namespace ElmoNative.Output;

/// <summary>A sentence of an embedding file's input: its stripped text and its tokens.</summary>
/// <param name="Text">The line stripped of surrounding whitespace (in a <see cref="SentenceArena"/> while the embed reads).</param>
/// <param name="Tokens">Its tokens (at least one).</param>
internal readonly record struct InputSentence(ReadOnlyMemory<char> Text, string[] Tokens)
{
    /// <summary>A sentence whose text is a string (tests, callers outside the streaming reader).</summary>
    public InputSentence(string text, string[] tokens)
        : this(text.AsMemory(), tokens)
    {
    }
}

/// <summary>
/// The regrouping of a stateless embed (docs/formats.md; measured in bench/README.md): a window of upcoming sentences is read, sorted by length and
/// cut into internal batches sized by a token budget, so that the rows of a batch have nearly the same length (few
/// padded positions, the recurrent steps stay dense up to the end). A stateless sentence's vectors do not depend on
/// its batch, bit for bit, so the results are the same; they are written in input order.
/// </summary>
internal static class SentenceWindow
{
    /// <summary>The default most padded tokens (rows x longest row) of an internal batch at P = 512 (<c>original</c>; see <see cref="BatchTokensFor"/>).</summary>
    public const int DefaultBatchTokens = 2048;

    /// <summary>The default most rows of an internal batch at H = 4096 (<c>original</c>; bench/README.md, "Memory"; see <see cref="BatchRowsFor"/>).</summary>
    public const int DefaultBatchRows = 128;

    /// <summary>
    /// The default most padded tokens of an internal batch of a model: <see cref="DefaultBatchTokens"/> x 512 / P, between
    /// 1 and 4 times that, so that the batch's activations (P floats per token and layer) take about the memory they
    /// take in <c>original</c>, and a narrow model's recurrent steps get more rows (2,048 tokens for <c>original</c>,
    /// 4,096 for <c>medium</c>, 8,192 for <c>small</c>; bench/README.md, "Internal batches by model width").
    /// </summary>
    public static int BatchTokensFor(ElmoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (int)Math.Clamp(DefaultBatchTokens * 512L / Math.Max(1, options.ProjectionDim), DefaultBatchTokens, 4L * DefaultBatchTokens);
    }

    /// <summary>
    /// The default most rows of an internal batch of a model: <see cref="DefaultBatchRows"/> x 4096 / H, between 1 and 4
    /// times that, so that the per-row scratch of a step (H floats per row) takes about what it takes in <c>original</c>.
    /// </summary>
    public static int BatchRowsFor(ElmoOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return (int)Math.Clamp(DefaultBatchRows * 4096L / Math.Max(1, options.LstmDim), DefaultBatchRows, 4L * DefaultBatchRows);
    }

    /// <summary>
    /// Clears <paramref name="window"/> and fills it from <paramref name="next"/> (null: the end of the input) until it
    /// holds <paramref name="maxSentences"/> sentences or at least <paramref name="maxTokens"/> tokens, or the input
    /// ends; a sentence longer than <paramref name="maxTokens"/> makes a window by itself. Returns false when the input
    /// had no sentence left.
    /// </summary>
    public static bool Fill(List<InputSentence> window, Func<InputSentence?> next, int maxSentences, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(window);
        ArgumentNullException.ThrowIfNull(next);
        window.Clear();
        long tokens = 0;
        while (window.Count < maxSentences && tokens < maxTokens)
        {
            if (next() is not { } sentence) break;
            window.Add(sentence);
            tokens += sentence.Tokens.Length;
        }
        return window.Count > 0;
    }

    /// <summary>
    /// <see cref="Plan(IReadOnlyList{int}, int, int)"/> with the default bounds of a model of <paramref name="options"/>
    /// (<see cref="BatchTokensFor"/>, <see cref="BatchRowsFor"/>): what the stream API and the server run.
    /// </summary>
    public static List<int[]> Plan(IReadOnlyList<int> lengths, ElmoOptions options) =>
        Plan(lengths, BatchTokensFor(options), BatchRowsFor(options));

    /// <summary>
    /// The internal batches of a window of sentences of <paramref name="lengths"/> tokens: the indices sorted by length
    /// (ties in input order), cut so that a batch's rows times its longest length stays within
    /// <paramref name="batchTokens"/> and its rows within <paramref name="maxRows"/> (at least one row per batch).
    /// Every index appears once. The row bound keeps batches of very short sentences from holding thousands of rows
    /// (the model's per-step scratch grows with the rows of a step).
    /// </summary>
    public static List<int[]> Plan(IReadOnlyList<int> lengths, int batchTokens, int maxRows = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        ArgumentNullException.ThrowIfNull(lengths);
        var order = new int[lengths.Count];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        // Stable by (length, index): the same plan on every run.
        Array.Sort(order, (a, b) => lengths[a] != lengths[b] ? lengths[a].CompareTo(lengths[b]) : a.CompareTo(b));
        var batches = new List<int[]>();
        int start = 0;
        while (start < order.Length)
        {
            int end = start + 1;
            // Sorted ascending: the padded length of order[start..end] is the length of its last row.
            while (end < order.Length && end - start < maxRows && (long)(end + 1 - start) * lengths[order[end]] <= batchTokens) end++;
            batches.Add(order[start..end]);
            start = end;
        }
        return batches;
    }
}
