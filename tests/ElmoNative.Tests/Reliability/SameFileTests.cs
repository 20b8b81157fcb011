namespace ElmoNative.Tests.Reliability;

/// <summary>
/// An output that is one of the command's inputs is refused however the path reaches it (a symlinked folder, a link, a
/// hard link), and the input is left byte for byte (docs/reliability.md: no user file is ever overwritten).
/// </summary>
[Collection(CliCollection.Name)]
public sealed class SameFileTests : IDisposable
{
    private readonly Scratch scratch = new();

    public void Dispose() => scratch.Dispose();

    /// <summary>d/ holds the input and a copy of the fixture model; L -> d.</summary>
    private (string D, string L, string Input) Layout()
    {
        string d = scratch.Folder("d");
        File.Copy(Fixtures.AllenNlp("options.json"), Path.Combine(d, "options.json"));
        File.Copy(Fixtures.AllenNlp("lm_weights.hdf5"), Path.Combine(d, "weights.hdf5"));
        string input = scratch.Write("d/in.txt", Inputs.Sentences(5));
        string l = scratch.PathOf("L");
        File.CreateSymbolicLink(l, d);
        return (d, l, input);
    }

    private static void AssertRefusedAndUnchanged(string path, byte[] before, params string[] args)
    {
        CliResult.Run(args).AssertError(2, "overwrite an input");
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [LinuxFact]
    public void EmbedOutputThroughASymlinkedFolderToTheInputIsRefused()
    {
        var (_, l, input) = Layout();
        AssertRefusedAndUnchanged(input, File.ReadAllBytes(input),
            ["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", Path.Combine(l, "in.txt"), "--force"]);
        // AllenNLP's spelling too.
        AssertRefusedAndUnchanged(input, File.ReadAllBytes(input),
            ["embed", input, Path.Combine(l, "in.txt"), "--top", .. CliSandbox.FixtureModel, "--force"]);
    }

    [LinuxFact]
    public void EmbedOutputThroughASymlinkedFolderToTheModelsWeightsIsRefused()
    {
        var (d, l, input) = Layout();
        string weights = Path.Combine(d, "weights.hdf5");
        byte[] before = File.ReadAllBytes(weights);
        AssertRefusedAndUnchanged(weights, before, ["embed", "--model", d, "--input", input, "--output", Path.Combine(l, "weights.hdf5"), "--force"]);
        AssertRefusedAndUnchanged(weights, before, ["embed", "--model", l, "--input", input, "--output", weights, "--force"]);
        AssertRefusedAndUnchanged(Path.Combine(d, "options.json"), File.ReadAllBytes(Path.Combine(d, "options.json")),
            ["embed", "--options", Path.Combine(d, "options.json"), "--weights", weights, "--input", input, "--output", Path.Combine(l, "options.json"), "--force"]);
    }

    [LinuxFact]
    public void AHardLinkOrASymlinkToTheInputIsRefused()
    {
        var (_, _, input) = Layout();
        byte[] before = File.ReadAllBytes(input);
        string hard = scratch.PathOf("hard.hdf5");
        Assert.Equal(0, Native.Run("ln", input, hard).Code);
        AssertRefusedAndUnchanged(input, before, ["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", hard, "--force"]);
        string soft = scratch.PathOf("soft.hdf5");
        File.CreateSymbolicLink(soft, input);
        AssertRefusedAndUnchanged(input, before, ["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", soft, "--force"]);
    }

    [LinuxFact]
    public void EveryInputOfEveryWritingCommandIsChecked()
    {
        var (d, l, input) = Layout();
        string vocab = scratch.Write("d/vocab.txt", "the\ncat\nsat\n");
        byte[] vocabBefore = File.ReadAllBytes(vocab);
        string throughLink = Path.Combine(l, "vocab.txt");
        AssertRefusedAndUnchanged(vocab, vocabBefore, ["embed", .. CliSandbox.FixtureModel, "--input", input, "--vocab", vocab, "--output", throughLink, "--force"]);
        AssertRefusedAndUnchanged(vocab, vocabBefore, ["token-embeddings", .. CliSandbox.FixtureModel, "--vocab", vocab, "--output", throughLink, "--force"]);
        AssertRefusedAndUnchanged(Path.Combine(d, "weights.hdf5"), File.ReadAllBytes(Path.Combine(d, "weights.hdf5")),
            ["token-embeddings", "--model", d, "--vocab", vocab, "--output", Path.Combine(l, "weights.hdf5"), "--force"]);
        AssertRefusedAndUnchanged(input, File.ReadAllBytes(input), ["vocab", "--input", input, "--output", Path.Combine(l, "in.txt"), "--force"]);

        // random-checkpoint --options d/options.json --output L --force would rewrite the options it reads.
        string options = Path.Combine(d, "options.json");
        AssertRefusedAndUnchanged(options, File.ReadAllBytes(options), ["random-checkpoint", "--options", options, "--output", l, "--force"]);

        // A registry file is read too.
        string registry = scratch.Write("d/registry.json", """{"models": []}""");
        CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--registry", registry, "--input", input, "--output", Path.Combine(l, "registry.json"), "--force"])
            .AssertError(2, "overwrite an input");
        Assert.Equal("""{"models": []}""", File.ReadAllText(registry));
    }

    [LinuxFact]
    public void AnOutputDirectoryHoldingAnInputIsRefusedForCommandsThatReplaceIt()
    {
        // What elmo train --output DIR --force calls: its inputs must not be inside the directory it replaces.
        var (d, l, input) = Layout();
        var e = Assert.Throws<ElmoNative.Cli.CliException>(() => ElmoNative.Cli.OutputPath.RequireNoInputInside(l, [null, input]));
        Assert.Contains("holds the input", e.Message);
        Assert.Throws<ElmoNative.Cli.CliException>(() => ElmoNative.Cli.OutputPath.RequireNoInputInside(scratch.Root, [Path.Combine(l, "in.txt")]));
        ElmoNative.Cli.OutputPath.RequireNoInputInside(scratch.Folder("elsewhere"), [input, Path.Combine(l, "in.txt"), "-"]);
        ElmoNative.Cli.OutputPath.RequireNoInputInside(scratch.PathOf("new"), [input]);
        ElmoNative.Cli.OutputPath.RequireNoInputInside(d + "-sibling", [input]); // a name that only starts like d
    }

    [LinuxFact]
    public void AnOutputThroughASymlinkedFolderThatIsNoInputIsWritten()
    {
        var (d, l, input) = Layout();
        string reference = scratch.PathOf("reference.hdf5");
        CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", reference, "--quiet"]).AssertOk();
        CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", Path.Combine(l, "out.hdf5"), "--quiet"]).AssertOk();
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(Path.Combine(d, "out.hdf5")));
    }

    [LinuxFact]
    public void AnOutputThatIsASymlinkIsWrittenThroughAndTheLinkStays()
    {
        var (_, _, input) = Layout();
        string reference = scratch.PathOf("reference.hdf5");
        CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", reference, "--quiet"]).AssertOk();
        string target = scratch.Write("target.hdf5", "old");
        string link = scratch.PathOf("link.hdf5");
        File.CreateSymbolicLink(link, "target.hdf5"); // relative, as ln -s makes it
        CliResult.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", link, "--force", "--quiet"]).AssertOk();
        Assert.Equal("target.hdf5", new FileInfo(link).LinkTarget);
        Assert.Equal(File.ReadAllBytes(reference), File.ReadAllBytes(target));
        Assert.Empty(Inputs.TemporaryFiles(scratch.Root));
    }
}
