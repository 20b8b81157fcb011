using System.Text;
using ElmoNative.Kernels;
using ElmoNative.Output;
using PureHDF;

namespace ElmoNative.Tests;

/// <summary>
/// <see cref="EmbeddingFile"/>, the streaming embed of <c>elmo embed</c> as a library call: the same bytes as the
/// command gave before it moved into the library, for every option combination; values equal to embedding each
/// sentence alone; progress; bad lines named; nothing left behind.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class EmbeddingFileTests : IDisposable
{
    /// <summary>
    /// SHA-256 of the 54 files of <see cref="EmbeddingFileCombinations"/>, recorded with <c>elmo embed</c> at commit
    /// 799e5ae (before the embed loop moved into the library), per SIMD variant (256 and 512 bits give equal bits);
    /// re-recorded for issue 10 point 4, when FastMath's tanh changed its rounding (docs/accuracy.md), and again when the
    /// character convolution's embedding was folded into its filters (FoldedConvolution: a different, smaller rounding).
    /// </summary>
    private static readonly Dictionary<SimdVariant, string> Pinned = new()
    {
        [SimdVariant.Scalar] = "5EDB1D02ECC1D521FF9120AFEE596F2A3921B7B2878167AA78F5884C69E51D6A",
        [SimdVariant.Vector256] = "850D36F45C110622F6BDF79EE0456BB6162C7C22E95DCFE88E44D97122330F83",
        [SimdVariant.Vector512] = "850D36F45C110622F6BDF79EE0456BB6162C7C22E95DCFE88E44D97122330F83",
    };

    private static readonly Lazy<ElmoModel> Model = new(() => ElmoModel.Load(Fixtures.AllenNlp("options.json"), Fixtures.AllenNlp("lm_weights.hdf5")));

    private readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    private static EmbeddingFileOptions Options(EmbeddingFileCombinations.Combination c) => new()
    {
        Layers = Enum.Parse<EmbeddingLayers>(c.Layers, ignoreCase: true),
        Pooling = c.Pool is null ? null : Enum.Parse<Pooling>(c.Pool, ignoreCase: true),
        Stateful = c.Stateful,
        Layout = c.LayoutFlag switch
        {
            null => EmbeddingFileLayout.LineNumbersWithSentenceToIndex,
            "--forget-sentences" => EmbeddingFileLayout.LineNumbers,
            _ => EmbeddingFileLayout.SentenceKeys,
        },
        BatchSize = 4,
    };

    [Fact]
    public void TheLibraryWritesTheBytesTheCommandWroteForEveryCombination()
    {
        string input = sandbox.WriteInput("input.txt", EmbeddingFileCombinations.Input());
        string hash = EmbeddingFileCombinations.Hash(sandbox.OutputDirectory, (c, output) =>
        {
            var result = EmbeddingFile.Write(Model.Value, input, output, Options(c));
            Assert.Equal(30, result.Sentences);
        });
        Assert.True(Pinned[SimdDispatch.Current] == hash, $"files hash {hash} under {SimdDispatch.Current}, pinned {Pinned[SimdDispatch.Current]}");
        sandbox.AssertOutputEmpty(); // no temporary file left
    }

    [Fact]
    public void TheCommandWritesTheBytesItWroteBefore()
    {
        string input = sandbox.WriteInput("input.txt", EmbeddingFileCombinations.Input());
        string hash = EmbeddingFileCombinations.Hash(sandbox.OutputDirectory, (c, output) =>
            CliSandbox.Run(["embed", "--input", input, "--output", output, .. c.Arguments(), .. CliSandbox.FixtureModel, "--no-progress"]).AssertOk());
        Assert.True(Pinned[SimdDispatch.Current] == hash, $"files hash {hash} under {SimdDispatch.Current}, pinned {Pinned[SimdDispatch.Current]}");
    }

    [Fact]
    public void StatelessValuesAreThoseOfEachSentenceEmbeddedAlone()
    {
        var model = Model.Value;
        string[] lines = ["the cat sat", "  a  dog\tbarked .", "x", "the cat sat", "one more line here"];
        string input = sandbox.WriteInput("input.txt", string.Join('\n', lines) + "\n");
        string top = sandbox.Output("top.hdf5"), pooled = sandbox.Output("pooled.hdf5");
        EmbeddingFile.Write(model, input, top, new EmbeddingFileOptions { Layers = EmbeddingLayers.Top, BatchSize = 2 });
        EmbeddingFile.Write(model, input, pooled, new EmbeddingFileOptions { Layers = EmbeddingLayers.All, Pooling = Pooling.Max, BatchSize = 3 });
        using var topFile = H5File.OpenRead(top);
        using var pooledFile = H5File.OpenRead(pooled);
        for (int i = 0; i < lines.Length; i++)
        {
            string[] tokens = lines[i].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var alone = model.Embed(tokens);
            int n = tokens.Length, d = model.Dim;
            Assert.Equal(alone.Layer(0, model.LayerCount - 1).ToArray(), topFile.Dataset(i.ToString()).Read<float[]>());
            // Max pooling, naively: the largest value of each feature over the tokens, layer by layer.
            var expected = new float[model.LayerCount * d];
            for (int l = 0; l < model.LayerCount; l++)
                for (int f = 0; f < d; f++)
                    expected[l * d + f] = Enumerable.Range(0, n).Max(t => alone.Layer(0, l)[t * d + f]);
            Assert.Equal(expected, pooledFile.Dataset(i.ToString()).Read<float[]>());
        }
        string index = topFile.Dataset(EmbeddingFileWriter.SentenceToIndexName).Read<string[]>()[0];
        Assert.Equal("{\"the cat sat\": \"0\", \"a  dog\\tbarked .\": \"1\", \"x\": \"2\", \"the cat sat\": \"3\", \"one more line here\": \"4\"}", index);
    }

    [Fact]
    public void ProgressCountsGrowBatchByBatchToTheResult()
    {
        string input = sandbox.WriteInput("input.txt", "a b\nc\nd e f\ng\nh i\n");
        var reports = new List<EmbeddingFileProgress>();
        var result = EmbeddingFile.Write(Model.Value, input, sandbox.Output("out.hdf5"), new EmbeddingFileOptions { BatchSize = 2 }, new Sink(reports.Add));
        Assert.Equal([new(2, 3), new(4, 7), new(5, 9)], reports);
        Assert.Equal(new EmbeddingFileProgress(5, 9), result);
    }

    [Fact]
    public async Task TextReaderAndAsyncGiveTheFileOfAPath()
    {
        string text = EmbeddingFileCombinations.Input();
        string input = sandbox.WriteInput("input.txt", text);
        var options = new EmbeddingFileOptions { Layers = EmbeddingLayers.Average, Stateful = true, BatchSize = 5 };
        EmbeddingFile.Write(Model.Value, input, sandbox.Output("path.hdf5"), options);
        EmbeddingFile.Write(Model.Value, new StringReader(text), sandbox.Output("reader.hdf5"), options);
        await EmbeddingFile.WriteAsync(Model.Value, input, sandbox.Output("async.hdf5"), options);
        byte[] expected = File.ReadAllBytes(sandbox.Output("path.hdf5"));
        Assert.Equal(expected, File.ReadAllBytes(sandbox.Output("reader.hdf5")));
        Assert.Equal(expected, File.ReadAllBytes(sandbox.Output("async.hdf5")));
    }

    [Theory]
    [InlineData("a b\nc d\n\ne\n", ":3: empty line (index 2)", false)]
    [InlineData("a b\n \t \n", ":2: line has only whitespace (index 1)", false)]
    [InlineData("a b\nc d\na b\n", ":3: the same sentence as line 1 (index 2)", true)]
    [InlineData("a b\nand/or\n", ":2: the sentence cannot name an HDF5 dataset", true)]
    [InlineData("", ": input is empty (no sentences)", false)]
    public void BadInputNamesTheLineAndLeavesNothing(string text, string message, bool sentenceKeys)
    {
        string input = sandbox.WriteInput("input.txt", text);
        string output = sandbox.Output("out.hdf5");
        var options = new EmbeddingFileOptions { BatchSize = 1, Layout = sentenceKeys ? EmbeddingFileLayout.SentenceKeys : EmbeddingFileLayout.LineNumbersWithSentenceToIndex };
        var e = Assert.Throws<InvalidDataException>(() => EmbeddingFile.Write(Model.Value, input, output, options));
        Assert.StartsWith(input + message, e.Message, StringComparison.Ordinal);
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void InvalidUtf8NamesTheLine()
    {
        string input = sandbox.WriteInput("input.txt", [.. "a b\nc\n"u8, 0xC3, 0x28, (byte)'\n']);
        var e = Assert.Throws<InvalidDataException>(() => EmbeddingFile.Write(Model.Value, input, sandbox.Output("out.hdf5")));
        Assert.Contains(input + ":3:", e.Message, StringComparison.Ordinal);
        var reader = new StringReader("a b\n\ud800 c\n");
        e = Assert.Throws<InvalidDataException>(() => EmbeddingFile.Write(Model.Value, reader, sandbox.Output("out.hdf5"), inputName: "<mine>"));
        Assert.Equal("<mine>: input is not valid Unicode text", e.Message);
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void CancellationLeavesNothingAndAnExistingFileUntouched()
    {
        string input = sandbox.WriteInput("input.txt", "a b\nc\nd e\n");
        string output = sandbox.Output("out.hdf5");
        File.WriteAllText(output, "before");
        using var cancel = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => EmbeddingFile.Write(Model.Value, input, output, new EmbeddingFileOptions { BatchSize = 1 },
            new Sink(p => cancel.Cancel()), cancel.Token));
        Assert.Equal("before", File.ReadAllText(output, Encoding.UTF8));
        Assert.Equal(["out.hdf5"], Directory.GetFiles(sandbox.OutputDirectory).Select(Path.GetFileName));
    }

    private sealed class Sink(Action<EmbeddingFileProgress> action) : IProgress<EmbeddingFileProgress>
    {
        public void Report(EmbeddingFileProgress value) => action(value);
    }
}
