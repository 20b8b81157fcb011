using ElmoNative.Text;

namespace ElmoNative.Training.Data;

/// <summary>
/// Evaluation data for the per-sentence protocol (<see cref="PerplexityContext.PerSentence"/>; docs/training.md,
/// "elmo perplexity"): every sentence is read on its own, from a zero LSTM state. The sentences are taken in groups of
/// B, one per row (the whole text is loaded, and sorted by length so that a group's rows end close together); a group
/// takes as many windows of T steps as its longest framed sentence needs, a row's positions after its sentence are
/// padding (ids -1, all-zero character ids, not counted), and <see cref="StartsGroup"/> tells the caller to reset the
/// state before a group's first window. Framing as <see cref="EvaluationWindowReader"/>: each word and one boundary per
/// sentence predicted once per direction.
/// </summary>
public sealed class SentenceWindowReader
{
    private readonly Vocabulary vocabulary;
    private readonly List<string[]> sentences;
    private readonly int batch, steps, charsPerToken;
    private int next, groupStart, groupSteps, step;

    /// <summary>A reader of <paramref name="corpus"/> for windows of <paramref name="batch"/> x <paramref name="steps"/>.</summary>
    public SentenceWindowReader(TextCorpus corpus, Vocabulary vocabulary, int batch, int steps, int charsPerToken)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(charsPerToken);
        this.vocabulary = vocabulary;
        this.batch = batch;
        this.steps = steps;
        this.charsPerToken = charsPerToken;
        sentences = Enumerable.Range(0, corpus.Files.Count).SelectMany(corpus.LoadSentences).OrderBy(s => s.Length).ToList();
    }

    /// <summary>Whether the window last read is the first of a group of sentences (the LSTM state must be zero before it).</summary>
    public bool StartsGroup { get; private set; }

    /// <summary>The windows the whole text takes.</summary>
    public long Windows
    {
        get
        {
            long windows = 0;
            for (int g = 0; g < sentences.Count; g += batch)
                windows += (sentences[Math.Min(g + batch, sentences.Count) - 1].Length + 1 + steps - 1) / steps;
            return windows;
        }
    }

    /// <summary>Fills <paramref name="window"/> with the next window; false (window untouched) when every sentence was read.</summary>
    public bool TryRead(TrainingWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (window.Batch != batch || window.Steps != steps || window.CharsPerToken != charsPerToken)
            throw new ArgumentException($"window is {window.Batch} x {window.Steps} x {window.CharsPerToken}, reader makes {batch} x {steps} x {charsPerToken}", nameof(window));
        StartsGroup = step >= groupSteps;
        if (StartsGroup)
        {
            if (next >= sentences.Count) return false;
            groupStart = next;
            next = Math.Min(next + batch, sentences.Count);
            groupSteps = sentences.Skip(groupStart).Take(next - groupStart).Max(s => s.Length) + 1;
            step = 0;
        }
        for (int b = 0; b < batch; b++)
        {
            string[]? sentence = groupStart + b < next ? sentences[groupStart + b] : null;
            for (int t = 0; t < steps; t++)
            {
                int at = b * steps + t, k = step + t;
                if (sentence is null || k > sentence.Length)
                {
                    for (int d = 0; d < 2; d++)
                    {
                        window.TokenIds[d][at] = -1;
                        window.TargetIds[d][at] = -1;
                        window.CharIds[d].AsSpan(at * charsPerToken, charsPerToken).Clear();
                    }
                    continue;
                }
                int n = sentence.Length + 2; // <S> w1 .. wn </S>
                window.TokenIds[0][at] = Id(sentence, k);
                window.TargetIds[0][at] = Id(sentence, k + 1);
                window.TokenIds[1][at] = Id(sentence, n - 1 - k);
                window.TargetIds[1][at] = Id(sentence, n - 2 - k);
                CharacterIds.Map(Token(sentence, k), window.CharIds[0].AsSpan(at * charsPerToken, charsPerToken));
                CharacterIds.Map(Token(sentence, n - 1 - k), window.CharIds[1].AsSpan(at * charsPerToken, charsPerToken));
            }
        }
        step += steps;
        return true;
    }

    /// <summary>The id of position <paramref name="j"/> of the framed sentence.</summary>
    private int Id(string[] sentence, int j) =>
        j == 0 ? vocabulary.BeginOfSentenceId : j == sentence.Length + 1 ? vocabulary.EndOfSentenceId : vocabulary.IdOf(sentence[j - 1]);

    private static string Token(string[] sentence, int j) =>
        j == 0 ? CharacterIds.BeginOfSentence : j == sentence.Length + 1 ? CharacterIds.EndOfSentence : sentence[j - 1];
}
