using PureHDF;
using PureHDF.VOL.Native;

namespace ElmoNative.Tests;

/// <summary>
/// <c>elmo embed</c> typed as AllenNLP's <c>elmo</c> command (positional INPUT OUTPUT, --all/--top/--average,
/// --options-file/--weight-file, stateful by default) against the project's own spelling, and the options that came
/// with it: --forget-sentences, --use-sentence-keys, --pool, --cuda-device.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CliAllenNlpTests : IDisposable
{
    private readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    private static string[] AllenNlpModel => ["--options-file", Fixtures.AllenNlp("options.json"), "--weight-file", Fixtures.AllenNlp("lm_weights.hdf5")];

    /// <summary>The fixture's sentences interleaved (list 0 line 0, list 1 line 0, list 2 line 0, ...): with batches of 3, batch i is the reference's batch i.</summary>
    private static string[][] Interleaved()
    {
        var lists = Fixtures.Sentences(Fixtures.AllenNlp("sentences.json"));
        return Enumerable.Range(0, lists[0].Length).SelectMany(i => lists.Select(l => l[i])).ToArray();
    }

    private string Input(IEnumerable<string[]> sentences, string name = "in.txt") =>
        sandbox.WriteInput(name, string.Concat(sentences.Select(s => string.Join(' ', s) + "\n")));

    /// <summary>Every dataset of a file: name, shape and values (sentence_to_index as its text).</summary>
    private static Dictionary<string, (int[] Shape, float[] Values, string? Text)> Contents(string path)
    {
        using var file = H5File.OpenRead(path);
        var result = new Dictionary<string, (int[], float[], string?)>(StringComparer.Ordinal);
        foreach (var child in file.Children())
        {
            var dataset = file.Dataset(child.Name);
            int[] shape = dataset.Space.Dimensions.Select(d => (int)d).ToArray();
            if (child.Name == "sentence_to_index") result[child.Name] = (shape, [], dataset.Read<string[]>()[0]);
            else result[child.Name] = (shape, dataset.Read<float[]>(), null);
        }
        return result;
    }

    private static void AssertSameContents(string expectedPath, string actualPath)
    {
        var expected = Contents(expectedPath);
        var actual = Contents(actualPath);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, (shape, values, text)) in expected)
        {
            Assert.Equal(shape, actual[name].Shape);
            Assert.Equal(values, actual[name].Values); // bit for bit
            Assert.Equal(text, actual[name].Text);
        }
    }

    [Theory]
    [InlineData("--all", "all")]
    [InlineData("--top", "top")]
    [InlineData("--average", "average")]
    public void AllenNlpSpellingWritesTheSameFileAsTheStatefulNamedSpelling(string flag, string layers)
    {
        string input = Input(Interleaved());
        // Sentence keys need sentences HDF5 can take as names: distinct, without '/' (one fixture sentence has one).
        var keyable = Interleaved().Where(s => !s.Contains("/") && !string.Join(' ', s).Contains('/')).DistinctBy(s => string.Join(' ', s)).ToArray();
        string keyInput = Input(keyable, "keyable.txt");
        foreach (string[] extra in new[] { Array.Empty<string>(), ["--forget-sentences"], ["--use-sentence-keys"] })
        {
            string source = extra is ["--use-sentence-keys"] ? keyInput : input;
            string tag = string.Concat(extra) + layers;
            string allen = sandbox.Output($"allen{tag}.hdf5"), named = sandbox.Output($"named{tag}.hdf5");
            CliSandbox.Run(["embed", source, allen, flag, .. AllenNlpModel, "--batch-size", "3", "--cuda-device", "-1", .. extra]).AssertOk();
            CliSandbox.Run(["embed", "--input", source, "--output", named, "--layers", layers, "--stateful", "--batch-size", "3", .. CliSandbox.FixtureModel, .. extra]).AssertOk();
            AssertSameContents(named, allen);
            var names = Contents(allen).Keys.ToHashSet();
            if (extra.Length == 0) Assert.Contains("sentence_to_index", names);
            else Assert.DoesNotContain("sentence_to_index", names);
            if (extra is ["--use-sentence-keys"]) Assert.Equal(keyable.Select(k => string.Join(' ', k)).Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
            else Assert.Contains("29", names);
        }
        // Stateless on request: then it equals the named spelling's default.
        string stateless = sandbox.Output($"stateless-{layers}.hdf5"), plain = sandbox.Output($"plain-{layers}.hdf5");
        CliSandbox.Run(["embed", input, stateless, flag, .. AllenNlpModel, "--batch-size", "3", "--stateless"]).AssertOk();
        CliSandbox.Run(["embed", "--input", input, "--output", plain, "--layers", layers, "--batch-size", "3", .. CliSandbox.FixtureModel]).AssertOk();
        AssertSameContents(plain, stateless);
    }

    [Fact]
    public void AllenNlpSpellingReproducesTheFixtureReferencesWithBatchesOfThree()
    {
        string output = sandbox.Output("allen.hdf5");
        CliSandbox.Run(["embed", Input(Interleaved()), output, "--top", .. AllenNlpModel, "--batch-size", "3"]).AssertOk();
        double maxError = Fixtures.TopLayerErrorAgainstAllenNlp(output, Interleaved().Length / 3);
        Assert.True(maxError <= 1e-5, $"max abs error {maxError:E2}");
    }

    [Fact]
    public void LinesAreStrippedAndSplitAsPythonDoes()
    {
        // U+001C..U+001F are whitespace to Python's str.split() and str.strip(), not to .NET's char.IsWhiteSpace.
        string odd = sandbox.WriteInput("odd.txt", "\u001Fthe\u001Ccat\u001D sat\u001E\nend .\u00A0\n");
        string plain = sandbox.WriteInput("plain.txt", "the cat sat\nend .\n");
        string a = sandbox.Output("odd.hdf5"), b = sandbox.Output("plain.hdf5");
        CliSandbox.Run(["embed", odd, a, "--all", .. AllenNlpModel]).AssertOk();
        CliSandbox.Run(["embed", plain, b, "--all", .. AllenNlpModel]).AssertOk();
        var odds = Contents(a);
        var plains = Contents(b);
        Assert.Equal(plains["0"].Values, odds["0"].Values);
        Assert.Equal([3, 3, 32], odds["0"].Shape);
        Assert.Equal(plains["1"].Values, odds["1"].Values);
        var index = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(odds["sentence_to_index"].Text!)!;
        Assert.Equal(new Dictionary<string, string> { ["the\u001Ccat\u001D sat"] = "0", ["end ."] = "1" }, index);
    }

    [Theory]
    [InlineData("all")]
    [InlineData("top")]
    [InlineData("average")]
    public void PoolingEqualsPoolingTheUnpooledOutput(string layers)
    {
        var sentences = Interleaved().Take(7).ToArray();
        string input = Input(sentences);
        string unpooled = sandbox.Output("tokens.hdf5");
        CliSandbox.Run(["embed", "--input", input, "--output", unpooled, "--layers", layers, .. CliSandbox.FixtureModel]).AssertOk();
        var tokens = Contents(unpooled);
        foreach (var pooling in new[] { Pooling.Mean, Pooling.Max })
        {
            string pooled = sandbox.Output($"pooled-{pooling}.hdf5");
            CliSandbox.Run(["embed", "--input", input, "--output", pooled, "--layers", layers, "--pool", pooling.ToString().ToLowerInvariant(), .. CliSandbox.FixtureModel]).AssertOk();
            var vectors = Contents(pooled);
            Assert.Contains("sentence_to_index", vectors.Keys);
            for (int i = 0; i < sentences.Length; i++)
            {
                var (shape, values, _) = tokens[i.ToString()];
                int dim = shape[^1], n = shape[^2], layerCount = layers == "all" ? shape[0] : 1;
                var expected = new float[layerCount * dim];
                for (int l = 0; l < layerCount; l++)
                    SentencePooling.Pool(values.AsSpan(l * n * dim, n * dim), dim, pooling, expected.AsSpan(l * dim, dim));
                Assert.Equal(layers == "all" ? [layerCount, dim] : new[] { dim }, vectors[i.ToString()].Shape);
                Assert.Equal(expected, vectors[i.ToString()].Values);
            }
        }
    }

    [Fact]
    public void SentenceKeysRefuseRepeatsAndNamesHdf5CannotHold()
    {
        string output = sandbox.Output("keys.hdf5");
        CliSandbox.Run(["embed", sandbox.WriteInput("dup.txt", "a b\nc d\n  a b \n"), output, "--top", "--use-sentence-keys", .. AllenNlpModel])
            .AssertError(1, "dup.txt:3:", "line 1", "--use-sentence-keys");
        CliSandbox.Run(["embed", sandbox.WriteInput("slash.txt", "a b\nand/or\n"), output, "--top", "--use-sentence-keys", .. AllenNlpModel])
            .AssertError(1, "slash.txt:2:", "'/'");
        CliSandbox.Run(["embed", sandbox.WriteInput("dot.txt", ".\n"), output, "--top", "--use-sentence-keys", .. AllenNlpModel])
            .AssertError(1, "dot.txt:1:", "'.'");
        sandbox.AssertOutputEmpty();
        // Without the flag the same lines are fine.
        CliSandbox.Run(["embed", sandbox.WriteInput("all.txt", "a b\nand/or\n.\na b\n"), output, "--top", .. AllenNlpModel]).AssertOk();
    }

    [Fact]
    public void AllenNlpOptionsThatDoNotApply()
    {
        string input = sandbox.WriteInput("in.txt", "a b\n");
        string output = sandbox.Output("o.hdf5");
        CliSandbox.Run(["embed", input, output, "--top", "--cuda-device", "0", .. AllenNlpModel]).AssertError(2, "no GPU", "CPU", "--cuda-device 0");
        CliSandbox.Run(["embed", input, output, .. AllenNlpModel]).AssertError(2, "--all", "--top", "--average");
        CliSandbox.Run(["embed", input, output, "--all", "--top", .. AllenNlpModel]).AssertError(2, "--all and --top", "exclude");
        CliSandbox.Run(["embed", input, output, "--top", "--layers", "all", .. AllenNlpModel]).AssertError(2, "--layers", "--top");
        CliSandbox.Run(["embed", input, output, "--top", "--stateful", "--stateless", .. AllenNlpModel]).AssertError(2, "--stateful", "--stateless");
        CliSandbox.Run(["embed", input, "--input", input, "--output", output, "--top", .. AllenNlpModel]).AssertError(2, "INPUT", "--input");
        CliSandbox.Run(["embed", input, output, "--top", "--pool", "median", .. AllenNlpModel]).AssertError(2, "--pool", "median");
        sandbox.AssertOutputEmpty();
        var ok = CliSandbox.Run(["embed", input, output, "--top", "--vocab-path", "ignored.txt", "--include-package", "my_pkg", "--file-friendly-logging", .. AllenNlpModel]);
        Assert.Equal(0, ok.ExitCode);
        Assert.Contains("1/1 sentences", ok.Stderr); // --file-friendly-logging: progress as plain lines
        Assert.Equal(["o.hdf5"], Directory.GetFiles(sandbox.OutputDirectory).Select(Path.GetFileName));
    }
}
