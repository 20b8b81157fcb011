namespace ElmoNative.Training.Tagging;

/// <summary>
/// The most-frequent-tag baseline: each word gets the tag it has most often in the training data (ties: the tag seen
/// first); a word never seen in training gets the most frequent tag overall. Words are matched exactly (case kept).
/// </summary>
public sealed class MostFrequentTagBaseline
{
    private readonly Dictionary<string, string> byWord;
    private readonly string fallback;

    private MostFrequentTagBaseline(Dictionary<string, string> byWord, string fallback)
    {
        this.byWord = byWord;
        this.fallback = fallback;
    }

    /// <summary>Counts the training sentences.</summary>
    public static MostFrequentTagBaseline Train(IReadOnlyList<TaggedSentence> train)
    {
        ArgumentNullException.ThrowIfNull(train);
        var counts = new Dictionary<string, Dictionary<string, int>>(StringComparer.Ordinal);
        var overall = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var sentence in train)
        {
            for (int i = 0; i < sentence.Words.Length; i++)
            {
                if (!counts.TryGetValue(sentence.Words[i], out var tags)) counts[sentence.Words[i]] = tags = new Dictionary<string, int>(StringComparer.Ordinal);
                tags[sentence.Tags[i]] = tags.GetValueOrDefault(sentence.Tags[i]) + 1;
                overall[sentence.Tags[i]] = overall.GetValueOrDefault(sentence.Tags[i]) + 1;
            }
        }
        if (overall.Count == 0) throw new ArgumentException("no training tokens", nameof(train));
        // Dictionary enumeration keeps insertion order here (no removals), so MaxBy's first maximum is the tag seen first.
        var byWord = counts.ToDictionary(p => p.Key, p => p.Value.MaxBy(t => t.Value).Key, StringComparer.Ordinal);
        return new MostFrequentTagBaseline(byWord, overall.MaxBy(t => t.Value).Key);
    }

    /// <summary>The baseline's tag for <paramref name="word"/>.</summary>
    public string Tag(string word) => byWord.TryGetValue(word, out string? tag) ? tag : fallback;

    /// <summary>The fraction of the tokens of <paramref name="sentences"/> it tags right, and the number of tokens.</summary>
    public (double Accuracy, long Tokens) Evaluate(IReadOnlyList<TaggedSentence> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        long right = 0, all = 0;
        foreach (var sentence in sentences)
        {
            for (int i = 0; i < sentence.Words.Length; i++, all++)
                if (Tag(sentence.Words[i]) == sentence.Tags[i]) right++;
        }
        return (all == 0 ? 0 : right / (double)all, all);
    }
}
