using System.Text;
using ElmoNative.Checkpoints;
using ElmoNative.Cli;
using PureHDF;

namespace ElmoNative.Tests;

/// <summary>
/// Every bad input: exact exit code, one stderr line naming the problem, and nothing left where the output goes
/// (no output file, no temporary file).
/// </summary>
[Collection(CliCollection.Name)]
public sealed class CliErrorTests : IDisposable
{
    private readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    private string Out => sandbox.Output("out.hdf5");

    private CliResult Embed(string input, params string[] extra) =>
        CliSandbox.Run([.. "embed --input".Split(' '), input, "--output", Out, .. CliSandbox.FixtureModel, .. extra]);

    [Fact]
    public void MissingInputFile()
    {
        Embed(Path.Combine(sandbox.InputDirectory, "missing.txt")).AssertError(1, "missing.txt", "not found");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void UnreadableInput_Directory()
    {
        string dir = Directory.CreateDirectory(Path.Combine(sandbox.InputDirectory, "sentences.txt")).FullName;
        Embed(dir).AssertError(1, "sentences.txt", "directory");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void UnreadableInput_NoPermission()
    {
        string input = sandbox.WriteInput("locked.txt", "a b\n");
        File.SetUnixFileMode(input, UnixFileMode.None);
        bool readable;
        try
        {
            using (File.OpenRead(input)) readable = true; // root reads anything: then this case cannot be made
        }
        catch (UnauthorizedAccessException)
        {
            readable = false;
        }
        var result = Embed(input);
        if (readable) result.AssertOk();
        else result.AssertError(1, "locked.txt", "cannot read");
        File.SetUnixFileMode(input, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        if (!readable) sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void EmptyInputFile()
    {
        Embed(sandbox.WriteInput("input.txt", "")).AssertError(1, "input.txt", "empty");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void EmptyLine()
    {
        string input = sandbox.WriteInput("input.txt", "The cat sat .\nA dog .\n\nMore text .\n");
        byte[] before = File.ReadAllBytes(input);
        Embed(input).AssertError(1, "input.txt:3:", "empty line");
        sandbox.AssertOutputEmpty();
        Assert.Equal(before, File.ReadAllBytes(input)); // inputs are never modified
    }

    [Fact]
    public void EmptyLastLineWithCarriageReturn()
    {
        Embed(sandbox.WriteInput("input.txt", "a b\r\nc\r\n\r\n")).AssertError(1, "input.txt:3:", "empty line");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void WhitespaceOnlyLine()
    {
        Embed(sandbox.WriteInput("input.txt", "The cat sat .\n \t  \nMore .\n")).AssertError(1, "input.txt:2:", "whitespace");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void InvalidUtf8()
    {
        string input = sandbox.WriteInput("input.txt", [.. "The cat .\n"u8, 0x61, 0x20, 0xFF, 0x62, (byte)'\n', .. "ok .\n"u8]);
        Embed(input).AssertError(1, "input.txt:2:", "UTF-8", "0xFF");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void TruncatedUtf8SequenceAtEndOfLine()
    {
        string input = sandbox.WriteInput("input.txt", [.. "ok .\nfine\n"u8, 0x63, 0xC3, (byte)'\n']);
        Embed(input).AssertError(1, "input.txt:3:", "UTF-8");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void InvalidUtf8OnStdin()
    {
        var stdin = new StreamReader(new MemoryStream([.. "a b\n"u8, 0xFF, (byte)'\n']), new UTF8Encoding(false, true));
        CliSandbox.RunWithStdin(stdin, ["embed", "--input", "-", "--output", Out, .. CliSandbox.FixtureModel])
            .AssertError(1, "<stdin>:2:", "UTF-8");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void EmptyStdin()
    {
        CliSandbox.RunWithStdin(new StringReader(""), ["embed", "--input", "-", "--output", Out, .. CliSandbox.FixtureModel])
            .AssertError(1, "<stdin>", "empty");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void UnknownFlag()
    {
        Embed(sandbox.WriteInput("input.txt", "a b\n"), "--frobnicate").AssertError(2, "--frobnicate", "unknown option");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void UnknownCommand() => CliSandbox.Run("embedd", "--input", "x").AssertError(2, "embedd", "unknown command");

    [Fact]
    public void NoCommand() => CliSandbox.Run().AssertError(2, "no command");

    [Fact]
    public void MissingFlagValue_AtEnd()
    {
        CliSandbox.Run(["embed", .. CliSandbox.FixtureModel, "--output", Out, "--input"]).AssertError(2, "--input", "needs a value");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void MissingFlagValue_FollowedByFlag()
    {
        CliSandbox.Run(["embed", .. CliSandbox.FixtureModel, "--input", sandbox.WriteInput("input.txt", "a\n"), "--output", "--layers", "top"])
            .AssertError(2, "--output", "needs a value");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void MissingRequiredFlag() =>
        CliSandbox.Run(["embed", .. CliSandbox.FixtureModel, "--input", sandbox.WriteInput("input.txt", "a\n")]).AssertError(2, "--output");

    [Theory]
    [InlineData("0")]
    [InlineData("-4")]
    [InlineData("abc")]
    [InlineData("1.5")]
    [InlineData("99999999999")]
    public void BadBatchSize(string value)
    {
        Embed(sandbox.WriteInput("input.txt", "a b\n"), "--batch-size", value).AssertError(2, "--batch-size", value);
        sandbox.AssertOutputEmpty();
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("abc")]
    public void BadCacheSize(string value)
    {
        Embed(sandbox.WriteInput("input.txt", "a b\n"), "--cache-size", value).AssertError(2, "--cache-size", value);
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void Embed_BadVocabulary()
    {
        string input = sandbox.WriteInput("input.txt", "a b\n");
        Embed(input, "--vocab", Path.Combine(sandbox.OutputDirectory, "no-such-vocab.txt")).AssertError(1, "no-such-vocab.txt");
        Embed(input, "--vocab", sandbox.WriteInput("vocab.txt", "the\n\ncat\n")).AssertError(1, "vocab.txt:2:", "empty line");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void BadThreads()
    {
        Embed(sandbox.WriteInput("input.txt", "a b\n"), "--threads", "zero").AssertError(2, "--threads", "zero");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void BadLayers()
    {
        Embed(sandbox.WriteInput("input.txt", "a b\n"), "--layers", "middle").AssertError(2, "--layers", "middle");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void FlagGivenTwice()
    {
        Embed(sandbox.WriteInput("input.txt", "a b\n"), "--layers", "top", "--layers=all").AssertError(2, "--layers", "twice");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void ModelAndOptionsTogether()
    {
        Embed(sandbox.WriteInput("input.txt", "a b\n"), "--model", sandbox.InputDirectory).AssertError(2, "--model", "not both");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void NoModelGiven()
    {
        // The default model folder is pointed at a folder that does not exist (the repository ships models/default/).
        string missing = Path.Combine(sandbox.InputDirectory, "no-default-model");
        string? saved = Environment.GetEnvironmentVariable(ModelSource.DefaultModelVariable);
        Environment.SetEnvironmentVariable(ModelSource.DefaultModelVariable, missing);
        try
        {
            CliSandbox.Run("embed", "--input", sandbox.WriteInput("input.txt", "a b\n"), "--output", Out)
                .AssertError(2, "--model", "no-default-model");
        }
        finally
        {
            Environment.SetEnvironmentVariable(ModelSource.DefaultModelVariable, saved);
        }
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void WithoutModelTheShippedDefaultModelIsUsed()
    {
        // Same class as NoModelGiven, so the two never run at once (that test changes the environment variable).
        string shipped = Path.Combine(Fixtures.RepositoryRoot, "models", "default");
        var options = ElmoOptions.Load(Path.Combine(shipped, ModelFiles.OptionsFileName));
        var result = CliSandbox.Run("embed", "--input", sandbox.WriteInput("input.txt", "the bank of the river\n"), "--output", Out, "--layers", "top");
        Assert.Equal(0, result.ExitCode);
        string explicitOut = sandbox.Output("explicit.hdf5");
        Assert.Equal(0, CliSandbox.Run("embed", "--input", sandbox.WriteInput("input2.txt", "the bank of the river\n"), "--output", explicitOut,
            "--layers", "top", "--model", shipped).ExitCode);
        using var viaDefault = PureHDF.H5File.OpenRead(Out);
        using var viaModel = PureHDF.H5File.OpenRead(explicitOut);
        var dataset = viaDefault.Dataset("0");
        Assert.Equal(new ulong[] { 5, (ulong)options.OutputDim }, dataset.Space.Dimensions);
        Assert.Equal(viaModel.Dataset("0").Read<float[]>(), dataset.Read<float[]>());
    }

    [Fact]
    public void MissingModelDirectory()
    {
        string dir = Path.Combine(sandbox.InputDirectory, "no-such-model");
        CliSandbox.Run("embed", "--model", dir, "--input", sandbox.WriteInput("input2.txt", "a b\n"), "--output", Out)
            .AssertError(1, "no-such-model", "not found");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void MissingModelFiles()
    {
        string dir = Directory.CreateDirectory(Path.Combine(sandbox.InputDirectory, "model")).FullName;
        File.Copy(Fixtures.AllenNlp("options.json"), Path.Combine(dir, ModelFiles.OptionsFileName));
        CliSandbox.Run("embed", "--model", dir, "--input", sandbox.WriteInput("input.txt", "a b\n"), "--output", Out)
            .AssertError(1, "weights.hdf5");
        sandbox.AssertOutputEmpty();
        CliSandbox.Run("embed", "--options", Fixtures.AllenNlp("options.json"), "--weights", Path.Combine(dir, "nothing.hdf5"),
            "--input", sandbox.WriteInput("input.txt", "a b\n"), "--output", Out).AssertError(1, "nothing.hdf5", "not found");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void CorruptWeights()
    {
        var bytes = new byte[4096];
        new Random(5).NextBytes(bytes);
        string weights = sandbox.WriteInput("corrupt.hdf5", bytes);
        CliSandbox.Run("embed", "--options", Fixtures.AllenNlp("options.json"), "--weights", weights,
            "--input", sandbox.WriteInput("input.txt", "a b\n"), "--output", Out).AssertError(1, "corrupt.hdf5", "HDF5");
        sandbox.AssertOutputEmpty();
        CliSandbox.Run("info", "--options", Fixtures.AllenNlp("options.json"), "--weights", weights).AssertError(1, "corrupt.hdf5", "HDF5");
    }

    [Fact]
    public void CorruptOptions()
    {
        string options = sandbox.WriteInput("options.json", "{\"lstm\": {\"dim\": 8");
        CliSandbox.Run("embed", "--options", options, "--weights", Fixtures.AllenNlp("lm_weights.hdf5"),
            "--input", sandbox.WriteInput("input.txt", "a b\n"), "--output", Out).AssertError(1, "options.json", "JSON");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void DatasetOfWrongShape()
    {
        // The fixture checkpoint rewritten by the project's writer, with one tensor one column short.
        var original = Checkpoint.Load(Fixtures.AllenNlp("options.json"), Fixtures.AllenNlp("lm_weights.hdf5"));
        string name = CheckpointLayout.ProjectionWeight;
        var tensors = original.Tensors.Values
            .Select(t => t.Name == name ? new CheckpointTensor(name, [t.Shape[0], t.Shape[1] - 1], new float[t.Shape[0] * (t.Shape[1] - 1)]) : t)
            .ToList();
        string dir = Directory.CreateDirectory(Path.Combine(sandbox.InputDirectory, "model")).FullName;
        File.Copy(Fixtures.AllenNlp("options.json"), Path.Combine(dir, ModelFiles.OptionsFileName));
        CheckpointWriter.WriteWeights(Path.Combine(dir, ModelFiles.WeightsFileName), tensors);

        CliSandbox.Run("embed", "--model", dir, "--input", sandbox.WriteInput("input.txt", "a b\n"), "--output", Out)
            .AssertError(1, "weights.hdf5", "CNN_proj/W_proj", "(124, 15)", "expected (124, 16)");
        sandbox.AssertOutputEmpty();
        CliSandbox.Run("info", "--model", dir).AssertError(1, "CNN_proj/W_proj", "(124, 15)", "(124, 16)");
        CliSandbox.Run("token-embeddings", "--model", dir, "--vocab", sandbox.WriteInput("vocab.txt", "a\n"), "--output", Out)
            .AssertError(1, "CNN_proj/W_proj", "(124, 15)", "(124, 16)");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void OutputDirectoryMissing()
    {
        string output = Path.Combine(sandbox.OutputDirectory, "no-such-dir", "out.hdf5");
        CliSandbox.Run(["embed", "--input", sandbox.WriteInput("input.txt", "a b\n"), "--output", output, .. CliSandbox.FixtureModel])
            .AssertError(1, "no-such-dir", "does not exist");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void OutputWouldOverwriteInput()
    {
        string input = sandbox.WriteInput("input.txt", "a b\n");
        CliSandbox.Run(["embed", "--input", input, "--output", input, .. CliSandbox.FixtureModel]).AssertError(2, "input.txt", "overwrite");
        Assert.Equal("a b\n", File.ReadAllText(input));
    }

    [Fact]
    public void TokenEmbeddings_EmptyVocabularyLine()
    {
        string vocab = sandbox.WriteInput("vocab.txt", "<S>\n</S>\nthe\n\ncat\n");
        CliSandbox.Run(["token-embeddings", "--vocab", vocab, "--output", Out, .. CliSandbox.FixtureModel]).AssertError(1, "vocab.txt:4:", "empty line");
        sandbox.AssertOutputEmpty();
        vocab = sandbox.WriteInput("vocab2.txt", "the\nbig cat\n");
        CliSandbox.Run(["token-embeddings", "--vocab", vocab, "--output", Out, .. CliSandbox.FixtureModel]).AssertError(1, "vocab2.txt:2:", "more than one token");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void RandomCheckpoint_RefusesNonEmptyDirectory()
    {
        File.WriteAllText(sandbox.Output("keep.txt"), "precious");
        CliSandbox.Run("random-checkpoint", "--options", sandbox.WriteInput("tiny.json", CliSandbox.TinyOptions), "--output", sandbox.OutputDirectory)
            .AssertError(1, "not empty", "--force");
        Assert.Equal(["keep.txt"], Directory.GetFileSystemEntries(sandbox.OutputDirectory).Select(Path.GetFileName));
    }

    [Fact]
    public void RandomCheckpoint_BadPresetAndSeed()
    {
        string dir = sandbox.Output("ckpt");
        CliSandbox.Run("random-checkpoint", "--preset", "huge", "--output", dir).AssertError(2, "--preset", "huge");
        CliSandbox.Run("random-checkpoint", "--preset", "small", "--seed", "x1", "--output", dir).AssertError(2, "--seed", "x1");
        CliSandbox.Run("random-checkpoint", "--output", dir).AssertError(2, "--preset", "--options");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void RandomCheckpoint_BadOptionsLeavesNothing()
    {
        string options = sandbox.WriteInput("bad.json", """{"lstm": {"dim": 8, "projection_dim": 16}, "char_cnn": {"embedding": {"dim": 4}, "filters": [[1, 4]], "n_highway": 0}}""");
        CliSandbox.Run("random-checkpoint", "--options", options, "--output", sandbox.Output("ckpt")).AssertError(1, "bad.json", "projection_dim");
        sandbox.AssertOutputEmpty();
    }
}
