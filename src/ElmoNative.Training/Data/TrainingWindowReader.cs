using System.Globalization;

namespace ElmoNative.Training.Data;

/// <summary>
/// The training data of bilm-tf (its <c>BidirectionalLMDataset</c> with <c>shuffle_on_load</c>): an endless sequence of
/// <see cref="TrainingWindow"/>s. Each pass over the data visits the files in a shuffled order and, loading one file
/// at a time, its sentences in a shuffled order; both orders come from (seed, pass), so a run is reproducible. The B
/// rows share that sentence sequence: a row that has finished its sentence pulls the next one (see
/// <see cref="RowStreams"/> for the framing and the backward direction). Row b of each window continues row b of the
/// previous one, so the trainer carries LSTM states across windows. Unlike bilm-tf, whose forward and backward
/// datasets shuffle independently, both directions read the same sentences in the same order (so a row's two
/// directions see the same text). <see cref="Position"/> saves where the reader stands; a reader made from it
/// continues exactly.
/// </summary>
public sealed class TrainingWindowReader
{
    private readonly TextCorpus corpus;
    private readonly RowStreams rows;
    private readonly int seed, steps, charsPerToken;
    private readonly Func<string[]?> next;
    private int[] fileOrder = [];
    private List<string[]>? sentences;
    private long pass;
    private int fileCursor, sentenceCursor;

    /// <summary>
    /// A reader of <paramref name="corpus"/> for windows of <paramref name="batch"/> x <paramref name="steps"/> tokens of
    /// <paramref name="charsPerToken"/> characters, from the start or from <paramref name="position"/>.
    /// </summary>
    public TrainingWindowReader(TextCorpus corpus, Vocabulary vocabulary, int batch, int steps, int charsPerToken, int seed, WindowReaderPosition? position = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(charsPerToken);
        this.corpus = corpus;
        this.seed = seed;
        this.steps = steps;
        this.charsPerToken = charsPerToken;
        rows = new RowStreams(vocabulary, batch);
        next = NextSentence;
        fileOrder = FileOrder(0);
        if (position is not null) Restore(position);
    }

    /// <summary>Windows read so far (including those before a restored position).</summary>
    public long WindowsRead { get; private set; }

    /// <summary>The pass over the data the next sentence belongs to (0-based): the epoch the reader is in.</summary>
    public long Pass => pass;

    /// <summary>Fills <paramref name="window"/> with the next window (never runs out: after the last sentence a new pass starts).</summary>
    public void Read(TrainingWindow window)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (window.Batch != rows.Batch || window.Steps != steps || window.CharsPerToken != charsPerToken)
            throw new ArgumentException($"window is {window.Batch} x {window.Steps} x {window.CharsPerToken}, reader makes {rows.Batch} x {steps} x {charsPerToken}", nameof(window));
        rows.Fill(window, next);
        WindowsRead++;
    }

    /// <summary>Where the reader stands now (after the last window read).</summary>
    public WindowReaderPosition Position => new()
    {
        Seed = seed,
        Batch = rows.Batch,
        Steps = steps,
        Files = corpus.Files.Select(f => Path.GetFullPath(f.Path)).ToArray(),
        Windows = WindowsRead,
        Pass = pass,
        FileCursor = fileCursor,
        SentenceCursor = sentenceCursor,
        Rows = Enumerable.Range(0, rows.Batch).Select(b => rows.RowState(b) is var (w, o) ? new WindowRowPosition(w, o) : null!).ToArray(),
    };

    private void Restore(WindowReaderPosition position)
    {
        var files = corpus.Files.Select(f => Path.GetFullPath(f.Path)).ToArray();
        string? problem =
            position.Seed != seed ? $"seed {position.Seed}, not {seed}" :
            position.Batch != rows.Batch || position.Rows.Length != rows.Batch ? $"batch_size {position.Batch} ({position.Rows.Length} rows), not {rows.Batch}" :
            position.Steps != steps ? $"unroll_steps {position.Steps}, not {steps}" :
            !position.Files.SequenceEqual(files) ? $"training files {string.Join(", ", position.Files)}, not {string.Join(", ", files)}" :
            position.FileCursor > files.Length ? $"file cursor {position.FileCursor} past {files.Length} files" : null;
        if (problem is not null) throw new InvalidDataException($"the saved reader position was made with {problem}");
        pass = position.Pass;
        fileOrder = FileOrder(pass);
        fileCursor = position.FileCursor;
        sentenceCursor = position.SentenceCursor;
        if (fileCursor < fileOrder.Length && sentenceCursor > corpus.Files[fileOrder[fileCursor]].Sentences)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"the saved reader position points past the end of {corpus.Files[fileOrder[fileCursor]].Path}"));
        for (int b = 0; b < rows.Batch; b++) rows.SetRow(b, position.Rows[b].Words, position.Rows[b].Offset);
        WindowsRead = position.Windows;
    }

    private string[]? NextSentence()
    {
        while (true)
        {
            if (fileCursor >= fileOrder.Length)
            {
                pass++;
                fileOrder = FileOrder(pass);
                fileCursor = 0;
                sentenceCursor = 0;
            }
            if (sentences is null)
            {
                int file = fileOrder[fileCursor];
                sentences = corpus.LoadSentences(file);
                new ShuffleRandom(seed, pass, file).Shuffle(sentences);
            }
            if (sentenceCursor < sentences.Count) return sentences[sentenceCursor++];
            sentences = null;
            fileCursor++;
            sentenceCursor = 0;
        }
    }

    private int[] FileOrder(long p)
    {
        var order = Enumerable.Range(0, corpus.Files.Count).ToArray();
        new ShuffleRandom(seed, p, -1).Shuffle(order);
        return order;
    }
}
