using ElmoNative.Text;
using ElmoNative.Training.Data;
using FsCheck;
using FsCheck.Xunit;

namespace ElmoNative.Training.Tests;

public sealed class DataWindowReaderTests
{
    private const int W = 12;

    /// <summary>A random corpus: a few files of sentences drawn from a small word list (some rare, so some map to &lt;UNK&gt;).</summary>
    private sealed class Corpus : IDisposable
    {
        public Corpus(int seed, int files, int maxSentences)
        {
            var random = new System.Random(seed);
            string[] words = ["the", "a", "of", "river", "bank", "é", "Zürich", "neural", "networks", "averyveryverylongwordindeed", ".", ",", "x1", "x2", "x3"];
            for (int f = 0; f < files; f++)
            {
                var lines = new List<string>();
                int n = 1 + random.Next(maxSentences);
                for (int s = 0; s < n; s++)
                {
                    if (random.Next(6) == 0) lines.Add(random.Next(2) == 0 ? "" : "   "); // blank lines are skipped
                    lines.Add(string.Join(random.Next(3) == 0 ? "  " : " ", Enumerable.Range(0, 1 + random.Next(7)).Select(_ => words[random.Next(random.Next(2) == 0 ? 5 : words.Length)])));
                }
                string text = string.Join(random.Next(2) == 0 ? "\n" : "\r\n", lines) + (random.Next(2) == 0 ? "\n" : "");
                Folder.Write($"shard-{f:D2}.txt", text);
                Sentences.Add(lines.Select(Tokenizer.Split).Where(t => t.Length > 0).ToList());
            }
            Text = TextCorpus.Open(Path.Combine(Folder.Root, "shard-*.txt"));
            Vocabulary = Vocabulary.Build(Text.Files.Select(f => f.Path), minCount: 3);
        }

        public TempFolder Folder { get; } = new();

        public List<List<string[]>> Sentences { get; } = [];

        public TextCorpus Text { get; }

        public Vocabulary Vocabulary { get; }

        public void Dispose() => Folder.Dispose();
    }

    /// <summary>
    /// bilm-tf's <c>_get_batch</c>, ported literally (row by row, copying runs of the current sentence) as the oracle:
    /// one direction, from a sequence of already framed sentences (token texts).
    /// </summary>
    private static IEnumerable<(string?[] Inputs, string?[] Targets)> NaiveBatches(IEnumerator<string[]> framed, int batch, int steps)
    {
        var stream = new List<string>?[batch];
        bool noMoreData = false;
        while (true)
        {
            var inputs = new string?[batch * steps];
            var targets = new string?[batch * steps];
            bool any = false;
            for (int i = 0; i < batch; i++)
            {
                int pos = 0;
                while (pos < steps)
                {
                    if (stream[i] is null || stream[i]!.Count <= 1)
                    {
                        if (noMoreData || !framed.MoveNext())
                        {
                            noMoreData = true;
                            break;
                        }
                        stream[i] = [.. framed.Current];
                    }
                    int howMany = Math.Min(stream[i]!.Count - 1, steps - pos);
                    for (int k = 0; k < howMany; k++)
                    {
                        inputs[i * steps + pos + k] = stream[i]![k];
                        targets[i * steps + pos + k] = stream[i]![k + 1];
                    }
                    stream[i]!.RemoveRange(0, howMany);
                    pos += howMany;
                    any = true;
                }
            }
            if (!any) yield break;
            yield return (inputs, targets);
        }
    }

    private static string[] Framed(string[] words, bool reverse) =>
        reverse ? ["</S>", .. words.Reverse(), "<S>"] : ["<S>", .. words, "</S>"];

    /// <summary>The training sentence sequence as specified: per pass, files in shuffled order, each file's sentences shuffled.</summary>
    private static IEnumerable<string[]> TrainingSequence(Corpus c, int seed)
    {
        for (long pass = 0; ; pass++)
        {
            var order = Enumerable.Range(0, c.Sentences.Count).ToArray();
            new ShuffleRandom(seed, pass, -1).Shuffle(order);
            foreach (int f in order)
            {
                var sentences = c.Sentences[f].ToList();
                new ShuffleRandom(seed, pass, f).Shuffle(sentences);
                foreach (var s in sentences) yield return s;
            }
        }
    }

    private static void AssertWindowMatches(Vocabulary v, TrainingWindow w, (string?[] Inputs, string?[] Targets)[] expected)
    {
        for (int d = 0; d < 2; d++)
        {
            for (int at = 0; at < w.Batch * w.Steps; at++)
            {
                string? input = expected[d].Inputs[at], target = expected[d].Targets[at];
                Assert.Equal(input is null ? -1 : v.IdOf(input), w.TokenIds[d][at]);
                Assert.Equal(target is null ? -1 : v.IdOf(target), w.TargetIds[d][at]);
                int[] chars = input is null ? new int[W] : CharacterIds.Map(input, W);
                Assert.True(chars.AsSpan().SequenceEqual(w.CharIds[d].AsSpan(at * W, W)), $"chars of '{input}' (direction {d}, position {at})");
            }
        }
    }

    [Property(MaxTest = 25)]
    public void TrainingWindowsAreBilmTfsBatchesOfTheShuffledSentenceSequence(PositiveInt corpusSeed, PositiveInt batch, PositiveInt steps, int seed)
    {
        using var c = new Corpus(corpusSeed.Get, files: 1 + corpusSeed.Get % 4, maxSentences: 9);
        int b = 1 + batch.Get % 5, t = 1 + steps.Get % 9;
        var reader = new TrainingWindowReader(c.Text, c.Vocabulary, b, t, W, seed);
        var window = new TrainingWindow(b, t, W);
        using var forward = NaiveBatches(TrainingSequence(c, seed).Select(s => Framed(s, false)).GetEnumerator(), b, t).GetEnumerator();
        using var backward = NaiveBatches(TrainingSequence(c, seed).Select(s => Framed(s, true)).GetEnumerator(), b, t).GetEnumerator();
        // More than one pass over the data: twice the framed tokens (words + one boundary per sentence) read in windows
        // of B x T tokens pulls every sentence at least once, whatever B and T (rows pull sentences as they need them).
        int framedTokens = c.Sentences.SelectMany(f => f).Sum(s => s.Length + 1);
        int windows = Math.Max(60, 2 * framedTokens / (b * t) + 2);
        for (int k = 0; k < windows; k++)
        {
            reader.Read(window);
            Assert.True(forward.MoveNext() && backward.MoveNext());
            AssertWindowMatches(c.Vocabulary, window, [forward.Current, backward.Current]);
        }
        Assert.True(reader.Pass >= 1);
    }

    [Property(MaxTest = 25)]
    public void RowsAreFramedSentencesAndTheBackwardDirectionIsTheirExactReverse(PositiveInt corpusSeed, PositiveInt batch, PositiveInt steps, int seed)
    {
        using var c = new Corpus(corpusSeed.Get, files: 2, maxSentences: 6);
        int b = 1 + batch.Get % 4, t = 1 + steps.Get % 7;
        var v = c.Vocabulary;
        var reader = new TrainingWindowReader(c.Text, v, b, t, W, seed);
        var window = new TrainingWindow(b, t, W);
        var rows = Enumerable.Range(0, b).Select(_ => new List<(int In0, int Out0, int In1, int Out1)>()).ToArray();
        for (int k = 0; k < 30; k++)
        {
            reader.Read(window);
            for (int r = 0; r < b; r++)
                for (int s = 0; s < t; s++)
                {
                    int at = r * t + s;
                    rows[r].Add((window.TokenIds[0][at], window.TargetIds[0][at], window.TokenIds[1][at], window.TargetIds[1][at]));
                }
        }
        var known = c.Sentences.SelectMany(f => f).Select(s => string.Join(' ', s.Select(w => v.IdOf(w)))).ToHashSet();
        foreach (var row in rows)
        {
            // Cut the row at each <S> input; every complete segment is one sentence: forward inputs <S> w1..wn,
            // targets w1..wn </S>; backward inputs </S> wn..w1, targets wn..w1 <S>.
            var starts = Enumerable.Range(0, row.Count).Where(i => row[i].In0 == v.BeginOfSentenceId).ToList();
            Assert.Equal(0, starts[0]);
            for (int s = 0; s + 1 < starts.Count; s++)
            {
                var segment = row.GetRange(starts[s], starts[s + 1] - starts[s]);
                int[] wordsIds = segment.Skip(1).Select(x => x.In0).ToArray();
                Assert.Contains(string.Join(' ', wordsIds), known);
                Assert.Equal([.. wordsIds, v.EndOfSentenceId], segment.Select(x => x.Out0));
                Assert.Equal([v.EndOfSentenceId, .. wordsIds.Reverse()], segment.Select(x => x.In1));
                Assert.Equal([.. wordsIds.Reverse(), v.BeginOfSentenceId], segment.Select(x => x.Out1));
            }
            // Within the stream each target is the next input, except at the end of a sentence.
            for (int i = 0; i + 1 < row.Count; i++)
                if (row[i + 1].In0 != v.BeginOfSentenceId) Assert.Equal(row[i].Out0, row[i + 1].In0);
        }
    }

    [Fact]
    public void EachPassIsAPermutationOfTheSentencesAndPassesDiffer()
    {
        using var c = new Corpus(7, files: 3, maxSentences: 30);
        var v = c.Vocabulary;
        var reader = new TrainingWindowReader(c.Text, v, batch: 1, steps: 1, W, seed: 5);
        var window = new TrainingWindow(1, 1, W);
        // With one row of one step, the row reads the sentence sequence one token at a time.
        var sequence = new List<string>();
        var current = new List<int>();
        long total = c.Text.Sentences;
        while (sequence.Count < 2 * total)
        {
            reader.Read(window);
            current.Add(window.TokenIds[0][0]);
            if (window.TargetIds[0][0] == v.EndOfSentenceId)
            {
                sequence.Add(string.Join(' ', current.Skip(1)));
                current.Clear();
            }
        }
        var passes = new[] { sequence.Take((int)total).ToList(), sequence.Skip((int)total).ToList() };
        var all = c.Sentences.SelectMany(f => f).Select(s => string.Join(' ', s.Select(w => v.IdOf(w)))).Order(StringComparer.Ordinal);
        Assert.Equal(all, passes[0].Order(StringComparer.Ordinal));
        Assert.Equal(all, passes[1].Order(StringComparer.Ordinal));
        Assert.NotEqual(passes[0], passes[1]);
        Assert.NotEqual(all, passes[0]); // shuffled, not file order
    }

    [Fact]
    public void ShufflingIsSeededAndDeterministic()
    {
        using var c = new Corpus(11, files: 3, maxSentences: 20);
        int[] Read(int seed)
        {
            var reader = new TrainingWindowReader(c.Text, c.Vocabulary, 3, 5, W, seed);
            var window = new TrainingWindow(3, 5, W);
            var ids = new List<int>();
            for (int k = 0; k < 40; k++)
            {
                reader.Read(window);
                ids.AddRange(window.TokenIds[0]);
                ids.AddRange(window.CharIds[1]);
            }
            return ids.ToArray();
        }
        Assert.Equal(Read(1), Read(1));
        Assert.NotEqual(Read(1), Read(2));
    }

    [Property(MaxTest = 20)]
    public void ResumingFromASavedPositionEqualsReadingOn(PositiveInt corpusSeed, PositiveInt before, PositiveInt after, int seed)
    {
        using var c = new Corpus(corpusSeed.Get, files: 1 + corpusSeed.Get % 3, maxSentences: 8);
        const int b = 3, t = 4;
        int k = before.Get % 40, m = 1 + after.Get % 25;
        var uninterrupted = new TrainingWindowReader(c.Text, c.Vocabulary, b, t, W, seed);
        var first = new TrainingWindowReader(c.Text, c.Vocabulary, b, t, W, seed);
        var w1 = new TrainingWindow(b, t, W);
        var w2 = new TrainingWindow(b, t, W);
        for (int i = 0; i < k; i++)
        {
            uninterrupted.Read(w1);
            first.Read(w2);
        }
        string path = c.Folder.Path_(WindowReaderPosition.FileName);
        first.Position.Save(path);
        var loaded = WindowReaderPosition.Load(path);
        Assert.Equal(first.Position, loaded);
        Assert.Equal(uninterrupted.Position, loaded);
        var resumed = new TrainingWindowReader(TextCorpus.Open(Path.Combine(c.Folder.Root, "shard-*.txt")), c.Vocabulary, b, t, W, seed, loaded);
        Assert.Equal(loaded, resumed.Position);
        for (int i = 0; i < m; i++)
        {
            uninterrupted.Read(w1);
            resumed.Read(w2);
            for (int d = 0; d < 2; d++)
            {
                Assert.Equal(w1.TokenIds[d], w2.TokenIds[d]);
                Assert.Equal(w1.TargetIds[d], w2.TargetIds[d]);
                Assert.Equal(w1.CharIds[d], w2.CharIds[d]);
            }
        }
        Assert.Equal(uninterrupted.Position, resumed.Position);
        Assert.Equal(k + m, resumed.WindowsRead);
    }

    [Fact]
    public void APositionOfOtherSettingsIsRefused()
    {
        using var c = new Corpus(3, files: 2, maxSentences: 5);
        var position = new TrainingWindowReader(c.Text, c.Vocabulary, 2, 3, W, seed: 1).Position;
        Assert.Contains("seed 1, not 2", Assert.Throws<InvalidDataException>(() => new TrainingWindowReader(c.Text, c.Vocabulary, 2, 3, W, 2, position)).Message);
        Assert.Contains("batch_size 2 (2 rows), not 4", Assert.Throws<InvalidDataException>(() => new TrainingWindowReader(c.Text, c.Vocabulary, 4, 3, W, 1, position)).Message);
        Assert.Contains("unroll_steps 3, not 5", Assert.Throws<InvalidDataException>(() => new TrainingWindowReader(c.Text, c.Vocabulary, 2, 5, W, 1, position)).Message);
        var one = TextCorpus.Open(c.Text.Files[0].Path);
        Assert.Contains("training files", Assert.Throws<InvalidDataException>(() => new TrainingWindowReader(one, c.Vocabulary, 2, 3, W, 1, position)).Message);
        string bad = c.Folder.Write("bad.json", "{\"seed\": 1}");
        Assert.Contains("bad.json", Assert.Throws<InvalidDataException>(() => WindowReaderPosition.Load(bad)).Message);
    }

    [Property(MaxTest = 30)]
    public void EvaluationPredictsEveryTokenExactlyOncePerDirection(PositiveInt corpusSeed, PositiveInt batch, PositiveInt steps)
    {
        using var c = new Corpus(corpusSeed.Get, files: 1 + corpusSeed.Get % 3, maxSentences: 12);
        int b = 1 + batch.Get % 6, t = 1 + steps.Get % 9;
        var reader = new EvaluationWindowReader(c.Text, c.Vocabulary, b, t, W);
        var window = new TrainingWindow(b, t, W);
        var fileOrder = c.Sentences.SelectMany(f => f);
        using var forward = NaiveBatches(fileOrder.Select(s => Framed(s, false)).GetEnumerator(), b, t).GetEnumerator();
        using var backward = NaiveBatches(fileOrder.Select(s => Framed(s, true)).GetEnumerator(), b, t).GetEnumerator();
        long real = 0;
        int windows = 0;
        while (reader.TryRead(window))
        {
            windows++;
            Assert.True(forward.MoveNext() && backward.MoveNext());
            AssertWindowMatches(c.Vocabulary, window, [forward.Current, backward.Current]);
            int inWindow = window.TargetIds[0].Count(id => id >= 0);
            Assert.True(inWindow > 0, "no window is all padding");
            Assert.Equal(inWindow, window.TargetIds[1].Count(id => id >= 0));
            real += inWindow;
        }
        Assert.False(forward.MoveNext());
        Assert.False(reader.TryRead(window));
        Assert.Equal(c.Text.Tokens, real);
        Assert.Equal(c.Sentences.Sum(f => f.Sum(s => s.Length + 1L)), real);
        // Every window before the one that takes the last sentence is full, and after it only the tails of sentences
        // already taken remain, each at most the longest framed sentence long.
        int longest = c.Sentences.SelectMany(f => f).Max(s => s.Length + 1);
        Assert.InRange(windows, reader.EstimatedWindows, reader.EstimatedWindows + 1 + (longest + t - 1) / t);
    }

    /// <summary>
    /// A case FsCheck found (replay 4690392914774841526,601035399634716243): more rows than sentences, one step, so the
    /// tail of one long sentence takes more windows than the old bound of two per sentence allowed.
    /// </summary>
    [Fact]
    public void EvaluationWithMoreRowsThanSentencesEndsWithinItsBound()
        => EvaluationPredictsEveryTokenExactlyOncePerDirection(PositiveInt.NewPositiveInt(18), PositiveInt.NewPositiveInt(11), PositiveInt.NewPositiveInt(9));

    [Fact]
    public void OpeningErrorsNameTheFileAndLine()
    {
        using var dir = new TempFolder();
        Assert.Contains("missing.txt: text file not found", Assert.Throws<FileNotFoundException>(() => TextCorpus.Open(dir.Path_("missing.txt"))).Message);
        Assert.Contains("no text file matches", Assert.Throws<FileNotFoundException>(() => TextCorpus.Open(dir.Path_("*.txt"))).Message);
        string empty = dir.Write("a-empty.txt", "");
        Assert.Contains(empty + ": text file holds no sentence", Assert.Throws<InvalidDataException>(() => TextCorpus.Open(empty)).Message);
        string blank = dir.Write("b-blank.txt", "\n \n\t\n");
        Assert.Contains(blank + ": text file holds no sentence", Assert.Throws<InvalidDataException>(() => TextCorpus.Open(blank)).Message);
        string bad = dir.Write("c-bad.txt", [.. "ok line\nsecond\n"u8, 0x80, .. " third\n"u8]);
        Assert.Contains(bad + ":3: invalid UTF-8", Assert.Throws<InvalidDataException>(() => TextCorpus.Open(bad)).Message);
        Assert.Contains("a-empty.txt", Assert.Throws<InvalidDataException>(() => TextCorpus.Open(dir.Path_("*.txt"))).Message);
        Assert.Contains("given twice", Assert.Throws<InvalidDataException>(() => TextCorpus.Open([bad, bad])).Message);
    }

    [Fact]
    public void FilesAreLoadedOneAtATimeWhenTheReaderReachesThem()
    {
        // Only the file being read is in memory: a file changed after opening is noticed when its turn comes, not before.
        using var dir = new TempFolder();
        dir.Write("0.txt", string.Join("\n", Enumerable.Range(0, 50).Select(i => $"first file sentence {i}")));
        dir.Write("1.txt", string.Join("\n", Enumerable.Range(0, 50).Select(i => $"second file sentence {i}")));
        var corpus = TextCorpus.Open(dir.Path_("*.txt"));
        var order = new[] { 0, 1 };
        new ShuffleRandom(9, 0, -1).Shuffle(order);
        File.WriteAllText(corpus.Files[order[1]].Path, "only one sentence now\n");
        var vocabulary = Vocabulary.Build([corpus.Files[order[0]].Path]);
        var reader = new TrainingWindowReader(corpus, vocabulary, 1, 5, W, seed: 9);
        var window = new TrainingWindow(1, 5, W);
        for (int k = 0; k < 50; k++) reader.Read(window); // 50 sentences of 4 words, 5 steps each: all of the first file
        Assert.All(window.TokenIds[0], id => Assert.NotEqual(vocabulary.UnknownId, id));
        var e = Assert.Throws<InvalidDataException>(() => reader.Read(window));
        Assert.Contains(corpus.Files[order[1]].Path + ": text file changed", e.Message);
    }

    [Fact]
    public void CorpusCountsSentencesWordsAndTokens()
    {
        using var dir = new TempFolder();
        dir.Write("x/1.txt", "a b c\n\n d  e \n");
        dir.Write("x/2.txt", "f\r\ng h\r\n");
        dir.Write("x/.hidden.txt", "not read\n");
        var corpus = TextCorpus.Open(Path.Combine(dir.Root, "x", "*.txt"));
        Assert.Equal(["1.txt", "2.txt"], corpus.Files.Select(f => Path.GetFileName(f.Path)));
        Assert.Equal((4L, 8L, 12L), (corpus.Sentences, corpus.Words, corpus.Tokens));
        var bilm = TextCorpus.Open(DataFixtures.BilmTrain("data.txt"));
        Assert.Equal(5, bilm.Sentences);
    }
}
