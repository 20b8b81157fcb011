using ElmoNative.Output;
using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests.Reliability;

/// <summary>
/// Memory stays bounded whatever --batch-size says, and running out of it ends in one line naming the option to lower,
/// exit 1 (not the runtime's "Out of memory." and exit 134): child processes under a GC heap limit
/// (DOTNET_GCHeapHardLimit), and the stateful chunking checked against whole batches, byte for byte.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class MemoryTests : IDisposable
{
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    private static Dictionary<string, string> HeapLimit(int megabytes) => new() { ["DOTNET_GCHeapHardLimit"] = "0x" + ((long)megabytes << 20).ToString("x") };

    [Fact]
    public void StatefulChunksOfRowsGiveTheBytesOfWholeBatches()
    {
        using var model = ElmoModel.FromCheckpoint(TestCheckpoints.Perturb(SharedModels.Tiny, seed: 5));
        var random = new Random(11);
        string text = string.Concat(Enumerable.Range(0, 37).Select(_ => string.Join(' ', TestSentences.RandomSentence(random, random.Next(1, 26))) + "\n"));
        foreach (var layers in new[] { EmbeddingLayers.All, EmbeddingLayers.Average })
        {
            foreach (var pooling in new Pooling?[] { null, Pooling.Mean })
            {
                byte[] Write(int rows)
                {
                    string path = scratch.PathOf($"stateful-{layers}-{pooling}-{rows}.hdf5");
                    var options = new EmbeddingFileOptions { Stateful = true, BatchSize = 10, BatchRows = rows, Layers = layers, Pooling = pooling };
                    EmbeddingFile.Write(model, new StringReader(text), path, options);
                    return File.ReadAllBytes(path);
                }
                byte[] whole = Write(rows: 1000); // one chunk per batch of 10 lines: the batches as AllenNLP makes them
                Assert.Equal(whole, Write(rows: 3));
                Assert.Equal(whole, Write(rows: 1));
            }
        }
    }

    [LinuxFact]
    public void AStatefulBatchLargerThanTheHeapIsEmbeddedInBoundedChunks()
    {
        // 8,000 rows x ~15 tokens x 3 layers x 32 floats: a 46 MB batch output, over the 32 MB heap.
        string input = scratch.Write("in.txt", Inputs.Sentences(8000));
        string output = scratch.PathOf("out.hdf5");
        var (code, _, stderr) = ElmoProcess.Run(scratch.Root, HeapLimit(32), 120,
            ["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", output, "--stateful", "--batch-size", "8000", "--quiet"]);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        string reference = scratch.PathOf("reference.hdf5");
        CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", reference, "--stateful", "--batch-size", "8000", "--quiet"]).AssertOk();
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(output));
    }

    [LinuxFact]
    public void AHugeStatelessBatchSizeStaysWithinTheHeap()
    {
        string input = scratch.Write("in.txt", Inputs.Sentences(2000));
        var (code, _, stderr) = ElmoProcess.Run(scratch.Root, HeapLimit(32), 120,
            ["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", scratch.PathOf("out.hdf5"), "--batch-size", "100000", "--quiet"]);
        Assert.True(code == 0, $"exit {code}: {stderr}");
    }

    [LinuxFact]
    public void AStatefulBatchSizeWhoseStateCannotFitIsRefusedNamingTheOption()
    {
        // 100,000 rows of LSTM state (2 x 2 layers x (16 + 64) floats each): 128 MB, for a 32 MB heap.
        string input = scratch.Write("in.txt", Inputs.Sentences(100));
        string folder = scratch.Folder("out");
        var (code, stdout, stderr) = ElmoProcess.Run(scratch.Root, HeapLimit(32), 120,
            ["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", Path.Combine(folder, "out.hdf5"), "--stateful", "--batch-size", "100000"]);
        Assert.True(code == 2, $"exit {code}: {stderr}");
        Assert.Empty(stdout);
        string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("elmo: embed: --batch-size 100000", line);
        Assert.Contains("lower --batch-size", line);
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }

    [Fact]
    public void PerplexityWithAHugeBatchSizeIsAUsageErrorNamingIt()
    {
        string input = scratch.Write("in.txt", Inputs.Sentences(20));
        string model = Path.Combine(Fixtures.RepositoryRoot, "models", "default");
        CliResult.Run("perplexity", "--model", model, "--input", input, "--batch-size", "100000")
            .AssertError(2, "--batch-size 100000", "lower --batch-size");
    }

    [LinuxFact]
    public void RunningOutOfMemoryEndsInOneLineNamingTheOptionAndExit1()
    {
        // One sentence of 20,000 tokens needs more than an 8 MB heap whatever the batch size.
        string input = scratch.Write("in.txt", string.Join(' ', Enumerable.Repeat("word", 20000)) + "\n");
        string folder = scratch.Folder("out");
        var (code, stdout, stderr) = ElmoProcess.Run(scratch.Root, HeapLimit(8), 120,
            ["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", Path.Combine(folder, "out.hdf5"), "--max-sentence-tokens", "20000"]);
        Assert.True(code == 1, $"exit {code}: {stderr}");
        Assert.Empty(stdout);
        Assert.Equal("elmo: out of memory while running 'elmo embed'; lower --batch-size", stderr.Trim());
        Assert.Empty(Directory.GetFileSystemEntries(folder));
    }
}
