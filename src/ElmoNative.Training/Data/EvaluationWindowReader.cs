namespace ElmoNative.Training.Data;

/// <summary>
/// Evaluation data (bilm-tf's <c>test=True</c>): the files in order, their sentences in file order, no shuffling,
/// finite. The B rows pull sentences from that sequence as the training reader's rows do, so every token of the text
/// is predicted exactly once per direction (each word, plus <c>&lt;/S&gt;</c> forward and <c>&lt;S&gt;</c> backward per
/// sentence). When the text runs out, the remaining positions are padding: <see cref="TrainingWindow.TokenIds"/> and
/// <see cref="TrainingWindow.TargetIds"/> -1 and all-zero character ids (no token).
/// </summary>
public sealed class EvaluationWindowReader
{
    private readonly TextCorpus corpus;
    private readonly RowStreams rows;
    private readonly int steps, charsPerToken;
    private readonly Func<string[]?> next;
    private List<string[]>? sentences;
    private int fileCursor, sentenceCursor;
    private bool finished;

    /// <summary>A reader of <paramref name="corpus"/> for windows of <paramref name="batch"/> x <paramref name="steps"/>.</summary>
    public EvaluationWindowReader(TextCorpus corpus, Vocabulary vocabulary, int batch, int steps, int charsPerToken)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(charsPerToken);
        this.corpus = corpus;
        this.steps = steps;
        this.charsPerToken = charsPerToken;
        rows = new RowStreams(vocabulary, batch);
        next = NextSentence;
    }

    /// <summary>
    /// About how many windows the whole text takes: tokens / (B x T), rounded up. Rows end unevenly, so the true count
    /// can be higher, by at most one plus the longest sentence's windows (for a progress display).
    /// </summary>
    public long EstimatedWindows => (corpus.Tokens + (long)rows.Batch * steps - 1) / ((long)rows.Batch * steps);

    /// <summary>Fills <paramref name="window"/> with the next window; false (window untouched) when every token was read.</summary>
    public bool TryRead(TrainingWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (window.Batch != rows.Batch || window.Steps != steps || window.CharsPerToken != charsPerToken)
            throw new ArgumentException($"window is {window.Batch} x {window.Steps} x {window.CharsPerToken}, reader makes {rows.Batch} x {steps} x {charsPerToken}", nameof(window));
        if (finished) return false;
        bool pending = false;
        for (int b = 0; b < rows.Batch && !pending; b++) pending = rows.HasInput(b);
        if (!pending && !HasMoreSentences())
        {
            finished = true;
            return false;
        }
        rows.Fill(window, next);
        return true;
    }

    private bool HasMoreSentences()
    {
        while (true)
        {
            if (fileCursor >= corpus.Files.Count) return false;
            sentences ??= corpus.LoadSentences(fileCursor);
            if (sentenceCursor < sentences.Count) return true;
            sentences = null;
            fileCursor++;
            sentenceCursor = 0;
        }
    }

    private string[]? NextSentence() => HasMoreSentences() ? sentences![sentenceCursor++] : null;
}
