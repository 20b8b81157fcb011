using System.Text;
using System.Text.Json;
using ElmoNative.Checkpoints;
using PureHDF;
using PureHDF.VOL.Native;

namespace ElmoNative.Tests;

/// <summary>The happy paths of <c>elmo embed</c> and <c>elmo token-embeddings</c>, checked against the library and the fixtures.</summary>
[Collection(CliCollection.Name)]
public sealed class CliEmbedTests : IDisposable
{
    private static readonly Lazy<ElmoModel> FixtureModel = new(() => ElmoModel.Load(Fixtures.AllenNlp("options.json"), Fixtures.AllenNlp("lm_weights.hdf5")));
    private static readonly Lazy<ElmoBatchOutput> FixtureOutput = new(() => FixtureModel.Value.Embed(AllSentences()));
    private readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    /// <summary>The 30 fixture sentences, list by list.</summary>
    private static string[][] AllSentences() => Fixtures.Sentences(Fixtures.AllenNlp("sentences.json")).SelectMany(l => l).ToArray();

    private static string Lines(IEnumerable<string[]> sentences) => string.Concat(sentences.Select(s => string.Join(' ', s) + "\n"));

    private static (float[] Data, int[] Shape) Read(NativeFile file, string name)
    {
        var ds = file.Dataset(name);
        return (ds.Read<float[]>(), ds.Space.Dimensions.Select(d => (int)d).ToArray());
    }

    private static Dictionary<string, string> SentenceToIndex(NativeFile file)
    {
        var text = file.Dataset("sentence_to_index").Read<string[]>();
        Assert.Single(text);
        return JsonSerializer.Deserialize<Dictionary<string, string>>(text[0])!;
    }

    [Theory]
    [InlineData("all")]
    [InlineData("top")]
    [InlineData("average")]
    public void EmbedMatchesLibrary(string layers)
    {
        var sentences = AllSentences();
        string input = sandbox.WriteInput("sentences.txt", Lines(sentences));
        string output = sandbox.Output("elmo.hdf5");
        CliSandbox.Run(["embed", "--input", input, "--output", output, "--layers", layers, .. CliSandbox.FixtureModel]).AssertOk();
        Assert.Equal(["elmo.hdf5"], Directory.GetFiles(sandbox.OutputDirectory).Select(Path.GetFileName)); // no temporary left

        var model = FixtureModel.Value;
        var expected = FixtureOutput.Value; // one batch, as the CLI's default batch size of 64 makes it
        var average = ScalarMix.Average(model.LayerCount).Mix(expected);
        using var file = H5File.OpenRead(output);
        Assert.Equal(sentences.Length + 1, file.Children().Count());
        for (int i = 0; i < sentences.Length; i++)
        {
            int n = sentences[i].Length;
            var (data, shape) = Read(file, i.ToString());
            switch (layers)
            {
                case "all":
                    Assert.Equal([model.LayerCount, n, model.Dim], shape);
                    Assert.Equal(expected.ToArray(i), data);
                    break;
                case "top":
                    Assert.Equal([n, model.Dim], shape);
                    Assert.Equal(expected.Layer(i, model.LayerCount - 1).ToArray(), data);
                    break;
                default:
                    Assert.Equal([n, model.Dim], shape);
                    Assert.Equal(average.AsSpan(i * expected.MaxLength * model.Dim, n * model.Dim).ToArray(), data);
                    break;
            }
        }
        var expectedIndex = new Dictionary<string, string>();
        for (int i = 0; i < sentences.Length; i++) expectedIndex[string.Join(' ', sentences[i])] = i.ToString(); // the last wins, as in AllenNLP
        Assert.Equal(expectedIndex, SentenceToIndex(file));
    }

    [Fact]
    public void StdinGivesTheSameAsAFile()
    {
        var sentences = AllSentences().Take(7).ToArray();
        string text = Lines(sentences);
        string fromFile = sandbox.Output("file.hdf5"), fromText = sandbox.Output("text.hdf5"), fromBytes = sandbox.Output("bytes.hdf5");
        CliSandbox.Run(["embed", "--input", sandbox.WriteInput("in.txt", text), "--output", fromFile, "--layers", "top", .. CliSandbox.FixtureModel]).AssertOk();
        CliSandbox.RunWithStdin(new StringReader(text), ["embed", "--input", "-", "--output", fromText, "--layers", "top", .. CliSandbox.FixtureModel]).AssertOk();
        // Raw bytes with a byte order mark, CRLF line ends, tabs and runs of spaces, and no final newline.
        string messy = "\uFEFF" + string.Join("\r\n", sentences.Select(s => "  " + string.Join(" \t ", s) + " "));
        var bytes = new StreamReader(new MemoryStream(Encoding.UTF8.GetBytes(messy)));
        CliSandbox.RunWithStdin(bytes, ["embed", "--input", "-", "--output", fromBytes, "--layers", "top", .. CliSandbox.FixtureModel]).AssertOk();

        using var a = H5File.OpenRead(fromFile);
        using var b = H5File.OpenRead(fromText);
        using var c = H5File.OpenRead(fromBytes);
        for (int i = 0; i < sentences.Length; i++)
        {
            var expected = Read(a, i.ToString());
            Assert.Equal(expected.Data, Read(b, i.ToString()).Data);
            Assert.Equal(expected.Data, Read(c, i.ToString()).Data);
        }
        Assert.Equal(SentenceToIndex(a), SentenceToIndex(b));
        // sentence_to_index is keyed by the line stripped of its surrounding whitespace (AllenNLP's line.strip()), so the
        // inner runs of spaces and tabs stay.
        var stripped = sentences.Select((s, i) => (Key: string.Join(" \t ", s), Index: i.ToString())).ToDictionary(p => p.Key, p => p.Index);
        Assert.Equal(stripped, SentenceToIndex(c));
    }

    [Fact]
    public void StatefulReproducesTheFixtureReferences()
    {
        // Lines sentences[0][0], sentences[1][0], sentences[2][0], sentences[0][1], ...: with batches of 3 the CLI's
        // batch i is the reference's batch i.
        var lists = Fixtures.Sentences(Fixtures.AllenNlp("sentences.json"));
        var ordered = Enumerable.Range(0, lists[0].Length).SelectMany(i => lists.Select(l => l[i])).ToArray();
        string output = sandbox.Output("stateful.hdf5");
        CliSandbox.Run(["embed", "--input", sandbox.WriteInput("in.txt", Lines(ordered)), "--output", output,
            "--layers", "top", "--batch-size", "3", "--stateful", .. CliSandbox.FixtureModel]).AssertOk();

        double maxError = Fixtures.TopLayerErrorAgainstAllenNlp(output, lists[0].Length);
        Assert.True(maxError <= 1e-5, $"max abs error {maxError:E2}");
    }

    [Fact]
    public void StatelessOutputDoesNotDependOnBatchingOrThreads()
    {
        var sentences = AllSentences();
        string input = sandbox.WriteInput("in.txt", Lines(sentences));
        string output = sandbox.Output("b4.hdf5");
        CliSandbox.Run(["embed", "--input", input, "--output", output, "--batch-size", "4", "--threads", "1", .. CliSandbox.FixtureModel]).AssertOk();
        var expected = FixtureOutput.Value;
        using var file = H5File.OpenRead(output);
        for (int i = 0; i < sentences.Length; i++)
        {
            var (data, _) = Read(file, i.ToString());
            var reference = expected.ToArray(i);
            Assert.Equal(reference.Length, data.Length);
            for (int j = 0; j < data.Length; j++) Assert.True(Math.Abs(reference[j] - data[j]) <= 1e-5, $"sentence {i}, value {j}: {data[j]} vs {reference[j]}");
        }
    }

    [Fact]
    public void ForcedProgressInALogPrintsOneFinalLine()
    {
        string input = sandbox.WriteInput("in.txt", Lines(AllSentences().Take(5)));
        var result = CliSandbox.Run(["embed", "--input", input, "--output", sandbox.Output("p.hdf5"), "--progress", .. CliSandbox.FixtureModel]);
        Assert.Equal(0, result.ExitCode);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length); // the final progress line, the token cache's hit rate, the summary
        Assert.Contains("5/5 sentences", lines[0]);
        Assert.Contains("tokens/s", lines[0]);
        Assert.Contains("token cache", lines[1]);
        Assert.Contains("% hits", lines[1]);
        Assert.StartsWith("embed: 5 sentences, ", lines[2]);
        Assert.DoesNotContain('\r', result.Stderr);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("3")]
    [InlineData("100000")]
    public void VocabularyPreloadAndCacheSizeChangeNothingButSpeed(string cacheSize)
    {
        // Fixture vocabulary preloaded (some of the sentences' tokens are in it, some not): the datasets are the same
        // bits as the library's plain embedding, whatever the LRU capacity (0 = off, 3 = constant eviction).
        var sentences = AllSentences();
        string input = sandbox.WriteInput("in.txt", Lines(sentences));
        string output = sandbox.Output($"vocab-{cacheSize}.hdf5");
        var result = CliSandbox.Run(["embed", "--input", input, "--output", output, "--vocab", Fixtures.AllenNlp("vocab_test.txt"),
            "--cache-size", cacheSize, "--progress", .. CliSandbox.FixtureModel]);
        Assert.Equal(0, result.ExitCode);
        var cacheLine = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^2]; // before the summary
        Assert.Contains("458 preloaded", cacheLine);
        Assert.Contains($"of {cacheSize} LRU entries", cacheLine);
        var expected = FixtureOutput.Value;
        using var file = H5File.OpenRead(output);
        for (int i = 0; i < sentences.Length; i++) Assert.Equal(expected.ToArray(i), Read(file, i.ToString()).Data);
    }

    [Fact]
    public void TokenEmbeddingsReproduceTheFixture()
    {
        string output = sandbox.Output("tokens.hdf5");
        // 458 words in batches of 100: five writes, the last one partial.
        CliSandbox.Run(["token-embeddings", "--vocab", Fixtures.AllenNlp("vocab_test.txt"), "--output", output, "--batch-size", "100", .. CliSandbox.FixtureModel]).AssertOk();
        var (expected, expectedShape) = Fixtures.ReadDataset(Fixtures.AllenNlp("elmo_token_embeddings.hdf5"), "embedding");
        var (actual, shape) = Fixtures.ReadDataset(output, "embedding");
        Assert.Equal(expectedShape, shape);
        double maxError = expected.Zip(actual, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(maxError <= 1e-5, $"max abs error {maxError:E2}");
    }

    [Fact]
    public void RandomCheckpointInfoEmbedRoundTrip()
    {
        string optionsFile = sandbox.WriteInput("tiny.json", CliSandbox.TinyOptions);
        string dir = sandbox.Output("tiny-model");
        var written = CliSandbox.Run("random-checkpoint", "--options", optionsFile, "--seed", "7", "--output", dir).AssertOk();
        var options = ElmoOptions.Load(optionsFile);
        long parameters = Checkpoint.CountParameters(options);
        Assert.Contains($"{parameters:N0} parameters", written.Stdout);
        Assert.True(File.Exists(Path.Combine(dir, ModelFiles.OptionsFileName)));
        Assert.True(File.Exists(Path.Combine(dir, ModelFiles.WeightsFileName)));
        Assert.Equal(2, Directory.GetFileSystemEntries(dir).Length); // no temporary files

        var info = CliSandbox.Run("info", "--model", dir).AssertOk();
        Assert.Contains($"parameters:     {parameters:N0}", info.Stdout);
        Assert.Contains($"{new FileInfo(Path.Combine(dir, ModelFiles.WeightsFileName)).Length:N0} bytes", info.Stdout);
        Assert.Contains("H=12, P=6", info.Stdout);
        Assert.Contains("MFLOP/token:", info.Stdout);

        var sentences = new[] { new[] { "A", "tiny", "test", "." }, new[] { "Second", "line" } };
        string output = sandbox.Output("tiny.hdf5");
        CliSandbox.Run("embed", "--model", dir, "--input", sandbox.WriteInput("in.txt", Lines(sentences)), "--output", output).AssertOk();
        using var model = ElmoModel.FromCheckpoint(RandomCheckpoint.Create(options, 7));
        var expected = model.Embed(sentences);
        using (var file = H5File.OpenRead(output))
        {
            for (int i = 0; i < sentences.Length; i++)
            {
                var (data, shape) = Read(file, i.ToString());
                Assert.Equal([3, sentences[i].Length, 12], shape);
                Assert.Equal(expected.ToArray(i), data);
            }
        }

        // Refuses to write over the checkpoint without --force; with it, another seed gives other weights.
        CliSandbox.Run("random-checkpoint", "--options", optionsFile, "--seed", "8", "--output", dir).AssertError(1, "not empty");
        CliSandbox.Run("random-checkpoint", "--options", optionsFile, "--seed", "8", "--output", dir, "--force").AssertOk();
        var reloaded = Checkpoint.Load(Path.Combine(dir, ModelFiles.OptionsFileName), Path.Combine(dir, ModelFiles.WeightsFileName));
        Assert.Equal(RandomCheckpoint.Create(options, 8)[CheckpointLayout.CharEmbedding], reloaded[CheckpointLayout.CharEmbedding]);
        Assert.NotEqual(RandomCheckpoint.Create(options, 7)[CheckpointLayout.CharEmbedding], reloaded[CheckpointLayout.CharEmbedding]);
    }
}
