using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Output;
using ElmoNative.Tests.Reference;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ElmoNative.Tests;

/// <summary>
/// What keeps the memory of loading and of <c>elmo embed</c> bounded (bench/README.md, "Memory"), checked without
/// timing or resident-set figures: datasets reserved in an embedding file and filled in any order give the bytes of a
/// sequential write (so a regrouped window needs no buffer of its values); the regrouped embed allocates far less than
/// a window's values; <see cref="ElmoModel.EmbedEach"/> gives the bits of <see cref="ElmoModel.Embed(IReadOnlyList{IReadOnlyList{string}}, ElmoState?)"/>;
/// loading from a file never materializes the weight matrices as arrays; native buffers of any size (mapped pages or
/// the C heap) are zeroed, aligned and usable.
/// </summary>
public sealed class MemoryBoundTests : IDisposable
{
    private static readonly Lazy<ElmoModel> Model = new(() => ElmoModel.FromCheckpoint(SharedModels.Tiny));

    private readonly TempDirectory directory = new();

    public void Dispose() => directory.Dispose();

    /// <summary>Shapes of float32 datasets (ranks 1 to 3, some empty), a fill order and a piece size.</summary>
    private static Arbitrary<(long[][] Shapes, int[] Order, int Piece)> Reservations() =>
        (from count in Gen.Choose(1, 25)
         from shapes in Gen.OneOf(
                 Gen.Choose(0, 40).Select(n => new long[] { n }),
                 Gen.Choose(1, 30).SelectMany(n => Gen.Choose(1, 9).Select(d => new long[] { n, d })),
                 Gen.Choose(1, 4).SelectMany(l => Gen.Choose(1, 12).Select(n => new long[] { l, n, 3 })))
             .ArrayOf(count)
         from seed in Gen.Choose(0, int.MaxValue)
         from piece in Gen.Choose(1, 50)
         select (shapes, Enumerable.Range(0, count).OrderBy(_ => new Random(seed).Next()).ToArray(), piece)).ToArbitrary();

    [Property(MaxTest = 40)]
    public Property ReservedDatasetsFilledInAnyOrderGiveTheBytesOfASequentialWrite() => Prop.ForAll(Reservations(), c =>
    {
        var values = c.Shapes.Select((s, i) => Enumerable.Range(0, (int)s.Aggregate(1L, (a, b) => a * b)).Select(k => i * 1000f + k * 0.25f).ToArray()).ToArray();
        string sequential = directory.File("sequential.hdf5"), reserved = directory.File("reserved.hdf5");
        using (var writer = new EmbeddingFileWriter(sequential))
        {
            for (int i = 0; i < values.Length; i++) writer.AddDataset($"sentence {i}", c.Shapes[i], values[i]);
            writer.Finish();
        }
        using (var writer = new EmbeddingFileWriter(reserved))
        {
            var addresses = c.Shapes.Select((s, i) => writer.ReserveDataset($"sentence {i}", s)).ToArray();
            // Filled in a random order of datasets, each in pieces written back to front.
            foreach (int i in c.Order)
            {
                for (int start = (values[i].Length - 1) / c.Piece * c.Piece; start >= 0; start -= c.Piece)
                {
                    var piece = values[i].AsSpan(start, Math.Min(c.Piece, values[i].Length - start));
                    writer.WriteValuesAt(addresses[i] + start * sizeof(float), piece);
                }
            }
            writer.Finish();
        }
        Assert.Equal(File.ReadAllBytes(sequential), File.ReadAllBytes(reserved));
    });

    [Fact]
    public void ReservedValuesMustAllBeWrittenAndNoMore()
    {
        using var writer = new EmbeddingFileWriter(directory.File("short.hdf5"));
        long address = writer.ReserveDataset("a b", [2, 3]);
        writer.WriteValuesAt(address, [1f, 2f, 3f]);
        var error = Assert.Throws<InvalidOperationException>(writer.Finish);
        Assert.Contains("3 values", error.Message, StringComparison.Ordinal);
        writer.WriteValuesAt(address + 3 * sizeof(float), [4f, 5f, 6f]);
        Assert.Throws<InvalidOperationException>(() => writer.WriteValuesAt(address, [7f]));
    }

    [Fact]
    public void RegroupedEmbedAllocatesFarLessThanTheValuesOfAWindow()
    {
        // One window of 400 sentences of 10 to 29 tokens: all layers of it are 400 x ~20 x 3 x 24 floats (~2.2 MB). The
        // values go to the file as each internal batch is done; what is allocated is per sentence, not per window.
        var random = new Random(5);
        var sentences = Enumerable.Range(0, 400).Select(_ => TestSentences.RandomSentence(random, random.Next(10, 30)))
            .Select(t => new InputSentence(string.Join(' ', t), t)).ToArray();
        long windowBytes = sentences.Sum(s => (long)s.Tokens.Length) * Model.Value.LayerCount * Model.Value.Dim * sizeof(float);
        var options = new EmbeddingFileOptions { WindowSentences = 400, WindowTokens = 1 << 20, BatchTokens = 256, Layout = EmbeddingFileLayout.LineNumbers };
        // Without the token cache, which allocates an entry per new token (bounded by its capacity, not by the window).
        using var model = ElmoModel.FromCheckpoint(SharedModels.Tiny, new ElmoLoadOptions { TokenCacheCapacity = 0 });
        Write(model, sentences, options); // warm-up: workspaces and reused buffers grown, JIT
        long before = GC.GetAllocatedBytesForCurrentThread();
        var done = Write(model, sentences, options);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(400, done.Sentences);
        Assert.True(allocated < windowBytes / 4, $"allocated {allocated} bytes for a window whose values take {windowBytes}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AStreamedEmbedAllocatesNothingPerSentenceOnceItsBuffersAreGrown(bool regroup)
    {
        // The same 40 lines (from a vocabulary of 30 words, which the token string pool holds) once, then 10 times: the
        // extra 360 sentences may allocate only their share of what a window of 40 or a batch of 8 allocates (a plan, a
        // few small arrays: 20-60 bytes a sentence), not a line's string and token array each (250-280 bytes a sentence
        // before the reader reused them; docs/architecture.md, "Streaming without garbage").
        var random = new Random(9);
        string[] vocabulary = Enumerable.Range(0, 30).Select(i => TestSentences.RandomSentence(random, 1)[0]).ToArray();
        string[] lines = Enumerable.Range(0, 40).Select(_ => string.Join(' ', Enumerable.Range(0, random.Next(3, 12)).Select(_ => vocabulary[random.Next(30)]))).ToArray();
        string once = directory.File("once.txt"), tenTimes = directory.File("ten.txt");
        File.WriteAllLines(once, lines);
        File.WriteAllLines(tenTimes, Enumerable.Repeat(lines, 10).SelectMany(l => l));
        var options = new EmbeddingFileOptions { Regroup = regroup, BatchSize = 8, WindowSentences = 40, Layout = EmbeddingFileLayout.LineNumbers };
        long Allocated(string input)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            EmbeddingFile.Write(Model.Value, input, directory.File("out.hdf5"), options);
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Allocated(tenTimes); // warm-up: workspaces, the model's buffers, JIT
        long perExtraSentence = (Allocated(tenTimes) - Allocated(once)) / 360;
        Assert.True(perExtraSentence < 100, $"{perExtraSentence} bytes allocated per sentence (regroup {regroup})");
    }

    private EmbeddingFileProgress Write(ElmoModel model, InputSentence[] sentences, EmbeddingFileOptions options)
    {
        int next = 0;
        using var writer = new EmbeddingFileWriter(directory.File("window.hdf5"), options.Layout);
        var done = EmbeddingFile.WriteRegrouped(model, writer, () => next < sentences.Length ? sentences[next++] : null, options, null, CancellationToken.None);
        writer.Finish();
        return done;
    }

    [Property(MaxTest = 30)]
    public Property EmbedEachGivesTheBitsOfEmbed() => Prop.ForAll(
        (from count in Gen.Choose(1, 12)
         from lengths in Gen.Choose(1, 25).ArrayOf(count)
         from seed in Gen.Choose(0, int.MaxValue)
         select (lengths, seed)).ToArbitrary(),
        c =>
        {
            var random = new Random(c.seed);
            IReadOnlyList<string>[] batch = c.lengths.Select(n => (IReadOnlyList<string>)TestSentences.RandomSentence(random, n)).ToArray();
            var expected = Model.Value.Embed(batch);
            var seen = new List<int>();
            Model.Value.EmbedEach(batch, new ElmoBatchOutput(), (b, one) =>
            {
                seen.Add(b);
                Assert.Equal(1, one.Count);
                Assert.Equal(c.lengths[b], one.Lengths[0]);
                for (int l = 0; l < expected.LayerCount; l++)
                    Assert.True(Compare.BitIdentical(expected.Layer(b, l), one.Layer(0, l)), $"sentence {b}, layer {l}");
            });
            Assert.Equal(Enumerable.Range(0, c.lengths.Length), seen.Order());
        });

    [Fact]
    public void LoadingAFileDoesNotMaterializeTheWeightMatrices()
    {
        // LSTM matrices dominate this checkpoint (~9 MB of its ~9.5 MB); a load that read them as arrays (or kept them
        // beside the packed copies) would allocate at least that much on the loading thread.
        var options = SharedModels.TinyOptions with { LstmDim = 512, ProjectionDim = 128 };
        var checkpoint = RandomCheckpoint.Create(options, 3);
        checkpoint.SaveDirectory(directory.Path);
        long matrixBytes = CheckpointLayout.Expected(options).Where(e => e.Shape.Length == 2).Sum(e => (long)e.Shape[0] * e.Shape[1] * sizeof(float));
        Assert.True(matrixBytes > 8_000_000, $"the matrices take {matrixBytes} bytes");
        ElmoModel.LoadDirectory(directory.Path).Dispose(); // warm-up: JIT, PureHDF's statics
        long before = GC.GetAllocatedBytesForCurrentThread();
        using var model = ElmoModel.LoadDirectory(directory.Path, new ElmoLoadOptions { Threads = 1 });
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < matrixBytes / 4, $"loading allocated {allocated} bytes; the weight matrices take {matrixBytes}");
        // And it is the same model: the loaded weights give the in-memory checkpoint's vectors.
        using var inMemory = ElmoModel.FromCheckpoint(checkpoint);
        string[] sentence = ["memory", "stays", "bounded"];
        Assert.True(Compare.BitIdentical(inMemory.Embed(sentence).Activations, model.Embed(sentence).Activations));
    }

    [Fact]
    public void OnLinuxLargeNativeBlocksAreMappedPagesOfTheirOwn()
    {
        // Without it, workspace blocks replaced as they grow stay in the C allocator's heaps: on a 1 GB input `elmo
        // embed` with `original` grew past 900 MB in 35 s instead of staying near 540 MB (bench/README.md, "Memory").
        // ELMONATIVE_HUGE_PAGES=1 turns the mapping off on purpose.
        bool expected = OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("ELMONATIVE_HUGE_PAGES") != "1";
        Assert.Equal(expected, Kernels.Memory.AlignedMemory.MapsLargeBlocks);
    }

    [Property(MaxTest = 60)]
    public Property NativeBuffersOfAnySizeAreZeroedAlignedAndUsable() => Prop.ForAll(
        Gen.OneOf(Gen.Choose(0, 5000), Gen.Choose(60_000, 70_000), Gen.Choose(1 << 16, 1 << 20)).ArrayOf().ToArbitrary(),
        sizes =>
        {
            // Sizes on both sides of the mapped-block threshold (64 Ki floats = 256 KB), growing and shrinking.
            using var buffer = new NativeBuffer<float>();
            foreach (int size in sizes)
            {
                bool grows = size > buffer.Capacity;
                var span = buffer.Get(size);
                Assert.Equal(size, span.Length);
                Assert.True(size == 0 || Kernels.Memory.AlignedMemory.IsAligned(span));
                if (grows) Assert.True(span.IndexOfAnyExcept(0f) < 0, $"a new block of {size} floats is not zeroed");
                span.Fill(size);
                Assert.True(span.IndexOfAnyExcept(size) < 0);
            }
        });
}
