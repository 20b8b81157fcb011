using ElmoNative.Output;
using ElmoNative.Tests.Reference;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PureHDF;

namespace ElmoNative.Tests;

/// <summary>
/// The regrouped stateless embed of <see cref="EmbeddingFile"/> (<see cref="EmbeddingFileOptions.Regroup"/>): windows
/// of sentences sorted by length and embedded in internal batches give the same file, byte for byte, as embedding
/// one sentence at a time in input order; windows and batches are planned as documented; memory is bounded by the
/// window (never more sentences read than the window holds beyond those written).
/// </summary>
public sealed class RegroupedEmbeddingTests : IDisposable
{
    private static readonly Lazy<ElmoModel> Model = new(() => ElmoModel.FromCheckpoint(SharedModels.Tiny));

    private readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    /// <summary>An input of random sentences and the regrouping and output options to embed it with.</summary>
    public sealed record EmbedCase(string[][] Sentences, int BatchSize, int? WindowSentences, int WindowTokens, int BatchTokens,
                              EmbeddingLayers Layers, Pooling? Pooling, EmbeddingFileLayout Layout, int BatchRows = 128)
    {
        public override string ToString() =>
            $"{Sentences.Length} sentences of lengths [{string.Join(",", Sentences.Select(s => s.Length))}], batch {BatchSize}, window {WindowSentences?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "default"} / {WindowTokens} tokens, batch tokens {BatchTokens}, rows {BatchRows}, {Layers} {Pooling} {Layout}";
    }

    private static Gen<string[]> Sentence =>
        Gen.OneOf(Gen.Choose(1, 4), Gen.Choose(1, 30), Gen.Choose(40, 70))
           .SelectMany(n => Gen.Choose(0, int.MaxValue).Select(seed => TestSentences.RandomSentence(new Random(seed), n)));

    private static Arbitrary<EmbedCase> Cases() =>
        (from count in Gen.Choose(1, 40)
         from sentences in Sentence.ArrayOf(count)
         from batchSize in Gen.Choose(1, 9)
         from window in Gen.OneOf(Gen.Constant<int?>(null), Gen.Choose(1, 17).Select(w => (int?)w))
         from windowTokens in Gen.OneOf(Gen.Choose(1, 80), Gen.Choose(80, 4000))
         from batchTokens in Gen.OneOf(Gen.Choose(1, 60), Gen.Choose(60, 2000))
         from layers in Gen.Elements(EmbeddingLayers.All, EmbeddingLayers.Top, EmbeddingLayers.Average)
         from pooling in Gen.Elements<Pooling?>(null, Pooling.Mean, Pooling.Max)
         from layout in Gen.Elements(EmbeddingFileLayout.LineNumbersWithSentenceToIndex, EmbeddingFileLayout.LineNumbers)
         from batchRows in Gen.OneOf(Gen.Choose(1, 6), Gen.Constant(128))
         select new EmbedCase(sentences, batchSize, window, windowTokens, batchTokens, layers, pooling, layout, batchRows)).ToArbitrary();

    [Property(MaxTest = 30)]
    public Property RegroupedFileIsTheBytesOfOneSentenceAtATimeInInputOrder() => Prop.ForAll(Cases(), c =>
    {
        string input = sandbox.WriteInput("input.txt", string.Concat(c.Sentences.Select(s => string.Join(' ', s) + "\n")));
        var alone = new EmbeddingFileOptions { Layers = c.Layers, Pooling = c.Pooling, Layout = c.Layout, BatchSize = 1, Regroup = false };
        var regrouped = alone with
        {
            BatchSize = c.BatchSize,
            Regroup = true,
            WindowSentences = c.WindowSentences,
            WindowTokens = c.WindowTokens,
            BatchTokens = c.BatchTokens,
            BatchRows = c.BatchRows,
        };
        string expectedPath = sandbox.Output("alone.hdf5"), actualPath = sandbox.Output("regrouped.hdf5");
        var expected = EmbeddingFile.Write(Model.Value, input, expectedPath, alone);
        var reports = new List<EmbeddingFileProgress>();
        var actual = EmbeddingFile.Write(Model.Value, input, actualPath, regrouped, new ListProgress(reports));
        Assert.Equal(expected, actual);
        Assert.Equal(c.Sentences.Sum(s => (long)s.Length), actual.Tokens);
        Assert.True(File.ReadAllBytes(expectedPath).AsSpan().SequenceEqual(File.ReadAllBytes(actualPath)), "the regrouped file differs");
        // Progress as without regrouping: every BatchSize sentences written, then the rest; tokens in input order.
        int n = c.Sentences.Length;
        var expectedReports = Enumerable.Range(1, n).Where(k => k % c.BatchSize == 0 || k == n)
            .Select(k => new EmbeddingFileProgress(k, c.Sentences.Take(k).Sum(s => (long)s.Length)));
        Assert.Equal(expectedReports, reports);
    });

    [Property(MaxTest = 30)]
    public Property RegroupedValuesEqualTheModelsForEachSentenceAlone() => Prop.ForAll(Cases(), c =>
    {
        // Independent of the unregrouped path: the datasets read back equal ElmoModel.Embed of each sentence alone.
        string input = sandbox.WriteInput("input.txt", string.Concat(c.Sentences.Select(s => string.Join(' ', s) + "\n")));
        string path = sandbox.Output("regrouped-top.hdf5");
        EmbeddingFile.Write(Model.Value, input, path, new EmbeddingFileOptions
        {
            Layers = EmbeddingLayers.Top, BatchSize = c.BatchSize, WindowSentences = c.WindowSentences, WindowTokens = c.WindowTokens, BatchTokens = c.BatchTokens,
        });
        using var file = H5File.OpenRead(path);
        for (int i = 0; i < c.Sentences.Length; i++)
        {
            var expected = Model.Value.Embed(c.Sentences[i]);
            float[] actual = file.Dataset(i.ToString(System.Globalization.CultureInfo.InvariantCulture)).Read<float[]>();
            Assert.True(Compare.BitIdentical(expected.Layer(0, expected.LayerCount - 1), actual), $"sentence {i} differs");
        }
    });

    /// <summary>Lengths, a token budget and a window bound for the planning properties.</summary>
    private static Arbitrary<(int[] Lengths, int Budget, int MaxSentences, int MaxTokens, int MaxRows)> Plans() =>
        (from lengths in Gen.Choose(1, 90).ArrayOf()
         from budget in Gen.Choose(1, 400)
         from maxSentences in Gen.Choose(1, 30)
         from maxTokens in Gen.Choose(1, 300)
         from maxRows in Gen.OneOf(Gen.Choose(1, 8), Gen.Constant(int.MaxValue))
         select (lengths, budget, maxSentences, maxTokens, maxRows)).ToArbitrary();

    [Property(MaxTest = 200)]
    public Property PlanSortsByLengthAndKeepsBatchesWithinTheTokenBudget() => Prop.ForAll(Plans(), p =>
    {
        var batches = SentenceWindow.Plan(p.Lengths, p.Budget, p.MaxRows);
        var all = batches.SelectMany(b => b).ToArray();
        // Every sentence exactly once, ordered by (length, index).
        Assert.Equal(Enumerable.Range(0, p.Lengths.Length).OrderBy(i => p.Lengths[i]).ThenBy(i => i), all);
        foreach (int[] batch in batches)
        {
            Assert.NotEmpty(batch);
            long padded = (long)batch.Length * batch.Max(i => p.Lengths[i]);
            Assert.True(batch.Length == 1 || padded <= p.Budget, $"a batch of {batch.Length} rows holds {padded} padded tokens > {p.Budget}");
            Assert.True(batch.Length <= p.MaxRows, $"a batch of {batch.Length} rows > {p.MaxRows}");
        }
        // Batches are as full as the budgets allow: the next row would not have fitted.
        for (int b = 0; b + 1 < batches.Count; b++)
        {
            int next = batches[b + 1][0];
            Assert.True((long)(batches[b].Length + 1) * p.Lengths[next] > p.Budget || batches[b].Length == p.MaxRows, $"batch {b} could have taken one more row");
        }
    });

    [Property(MaxTest = 200)]
    public Property WindowsCoverTheInputInOrderWithinTheirBounds() => Prop.ForAll(Plans(), p =>
    {
        int pulled = 0;
        InputSentence? Next() => pulled < p.Lengths.Length ? new InputSentence("s", new string[p.Lengths[pulled++]]) : null;
        var window = new List<InputSentence>();
        var seen = new List<int>();
        int consumed = 0;
        while (SentenceWindow.Fill(window, Next, p.MaxSentences, p.MaxTokens))
        {
            Assert.InRange(window.Count, 1, p.MaxSentences);
            // The window stops at its token bound: without its last sentence it was still under it.
            Assert.True(window.Take(window.Count - 1).Sum(s => s.Tokens.Length) < p.MaxTokens);
            // The source was read no further than the window (pulled counts what Fill asked for, including the end).
            consumed += window.Count;
            Assert.InRange(pulled, consumed, consumed);
            bool full = window.Count == p.MaxSentences || window.Sum(s => s.Tokens.Length) >= p.MaxTokens;
            Assert.True(full || consumed == p.Lengths.Length, "a window short of its bounds before the end of the input");
            seen.AddRange(window.Select(s => s.Tokens.Length));
        }
        Assert.Equal(p.Lengths, seen);
    });

    [Property(MaxTest = 20)]
    public Property SentencesReadAheadOfThoseWrittenNeverExceedTheWindow() => Prop.ForAll(Cases(), c =>
    {
        int pulled = 0, maxAhead = 0;
        InputSentence? Next() => pulled < c.Sentences.Length ? new InputSentence(string.Join(' ', c.Sentences[pulled]), c.Sentences[pulled++]) : null;
        var options = new EmbeddingFileOptions
        {
            Layers = c.Layers, Pooling = c.Pooling, BatchSize = 1, WindowSentences = c.WindowSentences, WindowTokens = c.WindowTokens, BatchTokens = c.BatchTokens,
        };
        string path = sandbox.Output("bounded.hdf5");
        using (var writer = new EmbeddingFileWriter(path, EmbeddingFileLayout.LineNumbers))
        {
            // BatchSize 1: a report after every sentence written, when the read-ahead is measured.
            var done = EmbeddingFile.WriteRegrouped(Model.Value, writer, Next, options with { BatchSize = 1 },
                new ListProgress(p => maxAhead = Math.Max(maxAhead, pulled - (int)p.Sentences)), CancellationToken.None);
            writer.Finish();
            Assert.Equal(c.Sentences.Length, done.Sentences);
        }
        Assert.InRange(maxAhead, 0, EmbeddingFile.WindowSentences(options with { BatchSize = 1 }) - 1);
        File.Delete(path);
    });

    [Theory]
    [InlineData(Checkpoints.ModelPreset.Original, 2048, 128)]
    [InlineData(Checkpoints.ModelPreset.Medium, 4096, 256)]
    [InlineData(Checkpoints.ModelPreset.Small, 8192, 512)]
    public void InternalBatchesAreSizedByTheModelsWidths(Checkpoints.ModelPreset preset, int tokens, int rows)
    {
        var options = Checkpoints.RandomCheckpoint.Options(preset);
        Assert.Equal(tokens, SentenceWindow.BatchTokensFor(options));
        Assert.Equal(rows, SentenceWindow.BatchRowsFor(options));
        // The activations of a batch (P floats per token) and the per-row scratch of a step (H floats) stay original's.
        Assert.Equal(2048L * 512, (long)tokens * options.ProjectionDim);
        Assert.Equal(128L * 4096, (long)rows * options.LstmDim);
        // A very narrow model stops at four times original's batch.
        Assert.Equal(4 * SentenceWindow.DefaultBatchTokens, SentenceWindow.BatchTokensFor(Model.Value.Options));
    }

    [Fact]
    public void StatefulIgnoresRegroupingAndKeepsTheUsersBatches()
    {
        // Stateful output depends on the batches: regrouping options must change nothing there.
        string input = sandbox.WriteInput("input.txt", "a b c\nd\ne f g h i j\nk l\nm\nn o p\n");
        var plain = new EmbeddingFileOptions { Stateful = true, BatchSize = 2, Regroup = false };
        EmbeddingFile.Write(Model.Value, input, sandbox.Output("plain.hdf5"), plain);
        EmbeddingFile.Write(Model.Value, input, sandbox.Output("regroup.hdf5"), plain with { Regroup = true, WindowSentences = 6, BatchTokens = 1 });
        Assert.Equal(File.ReadAllBytes(sandbox.Output("plain.hdf5")), File.ReadAllBytes(sandbox.Output("regroup.hdf5")));
        // And differs from the stateless regrouped file (the state was carried).
        EmbeddingFile.Write(Model.Value, input, sandbox.Output("stateless.hdf5"), plain with { Stateful = false, Regroup = true });
        Assert.NotEqual(File.ReadAllBytes(sandbox.Output("plain.hdf5")), File.ReadAllBytes(sandbox.Output("stateless.hdf5")));
    }

    private sealed class ListProgress(Action<EmbeddingFileProgress> action) : IProgress<EmbeddingFileProgress>
    {
        public ListProgress(List<EmbeddingFileProgress> list) : this(list.Add) { }

        public void Report(EmbeddingFileProgress value) => action(value);
    }
}
