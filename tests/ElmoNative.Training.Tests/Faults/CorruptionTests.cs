using ElmoNative.Checkpoints;

namespace ElmoNative.Training.Tests.Faults;

/// <summary>A checkpoint folder written once for all the corruption cases (3 windows of the tiny run).</summary>
public sealed class CheckpointFixture : IDisposable
{
    public CheckpointFixture()
    {
        Options = FaultSupport.TinyOptions(Dir);
        Folder = Dir.Path_("checkpoint");
        CliResult.Run(FaultSupport.NewRun(Options, Folder, 3)).AssertOk();
    }

    public TempFolder Dir { get; } = new();

    public string Options { get; }

    public string Folder { get; }

    /// <summary>A fresh copy of the checkpoint.</summary>
    public string Copy()
    {
        string copy = Dir.Path_("copy-" + Guid.NewGuid().ToString("N")[..8]);
        FaultSupport.CopyFolder(Folder, copy);
        return copy;
    }

    public void Dispose() => Dir.Dispose();
}

/// <summary>
/// Every file of a checkpoint folder, flipped (a bit of the first, middle and last byte), truncated or deleted: the
/// resume refuses it with one line naming that file, before training; a model load of the folder names the files it
/// reads the same way.
/// </summary>
[Collection(TrainingCliCollection.Name)]
public sealed class CorruptionTests(CheckpointFixture checkpoint) : IClassFixture<CheckpointFixture>
{
    public enum Damage
    {
        FlipFirst,
        FlipMiddle,
        FlipLast,
        Truncate,
        Delete,
    }

    public static TheoryData<string, Damage> Cases()
    {
        var data = new TheoryData<string, Damage>();
        foreach (string file in TrainingCheckpointFolder.FileNames.Append(CheckpointManifest.FileName))
            foreach (var damage in Enum.GetValues<Damage>())
                data.Add(file, damage);
        return data;
    }

    private static void Apply(string path, Damage damage)
    {
        byte[] bytes = File.ReadAllBytes(path);
        switch (damage)
        {
            case Damage.Delete:
                File.Delete(path);
                return;
            case Damage.Truncate:
                bytes = bytes[..(bytes.Length / 2)];
                break;
            default:
                int at = damage switch { Damage.FlipFirst => 0, Damage.FlipMiddle => bytes.Length / 2, _ => bytes.Length - 1 };
                bytes[at] ^= 0x04;
                break;
        }
        File.WriteAllBytes(path, bytes);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ResumeRefusesEveryDamagedFileNamingIt(string file, Damage damage)
    {
        string folder = checkpoint.Copy();
        Apply(Path.Combine(folder, file), damage);
        var before = Directory.EnumerateFiles(folder).ToDictionary(f => f, File.ReadAllBytes);
        CliResult.Run(FaultSupport.Resume(folder, 6)).AssertError(1, Path.Combine(folder, file));
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(f.Key))); // nothing written
    }

    [Theory]
    [InlineData("options.json", Damage.FlipMiddle)]
    [InlineData("options.json", Damage.Truncate)]
    [InlineData("weights.hdf5", Damage.FlipFirst)]
    [InlineData("weights.hdf5", Damage.FlipMiddle)]
    [InlineData("weights.hdf5", Damage.FlipLast)]
    [InlineData("weights.hdf5", Damage.Truncate)]
    [InlineData("manifest.json", Damage.FlipMiddle)]
    public void AModelLoadOfTheFolderRefusesTheFilesItReadsNamingThem(string file, Damage damage)
    {
        string folder = checkpoint.Copy();
        Apply(Path.Combine(folder, file), damage);
        var e = Assert.Throws<InvalidDataException>(() => ElmoModel.LoadDirectory(folder));
        Assert.StartsWith(Path.Combine(folder, file) + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        CliResult.Run("info", "--model", folder).AssertError(1, Path.Combine(folder, file));
    }

    [Fact]
    public void AChangedVocabularyWordIsNamed()
    {
        string folder = checkpoint.Copy();
        string vocab = Path.Combine(folder, "vocab.txt");
        var words = File.ReadAllLines(vocab);
        words[^1] = words[^1] + "s";
        File.WriteAllLines(vocab, words);
        CliResult.Run(FaultSupport.Resume(folder, 6)).AssertError(1, vocab, "changed");
    }

    [Fact]
    public void AnEditedSeedIsNamed()
    {
        string folder = checkpoint.Copy();
        string state = Path.Combine(folder, "training_state.json");
        File.WriteAllText(state, File.ReadAllText(state).Replace("\"seed\": 11", "\"seed\": 12", StringComparison.Ordinal));
        CliResult.Run(FaultSupport.Resume(folder, 6)).AssertError(1, state, "changed");
    }
}
