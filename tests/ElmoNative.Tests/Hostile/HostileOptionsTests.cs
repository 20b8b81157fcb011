using System.Text.Json.Nodes;
using ElmoNative.Checkpoints;
using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests.Hostile;

/// <summary>
/// options.json as an attacker writes it (docs/formats.md, "Checks on load"): huge, negative, null,
/// fractional or mistyped counts, duplicate keys, an options file that is too large. Each ends in one FormatException
/// naming the file and the key, quickly, before anything is allocated from the options.
/// </summary>
public class HostileOptionsTests
{
    private static string WriteOptions(TempDirectory dir, Action<JsonObject> edit)
    {
        var json = HostileFiles.FixtureOptionsJson();
        edit(json);
        string path = dir.File("options.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }

    private static Exception? Load(string options) =>
        HostileFiles.WithinTimeLimit(() => ElmoModel.Load(options, HostileFiles.FixtureWeights).Dispose(), 20, options);

    [Theory]
    [InlineData("lstm", "n_layers", "1e9")]
    [InlineData("lstm", "n_layers", "2147483647")]
    [InlineData("lstm", "n_layers", "1000")]
    [InlineData("char_cnn", "n_highway", "1e9")]
    [InlineData("char_cnn", "n_highway", "2147483647")]
    [InlineData("char_cnn", "n_highway", "3")]
    [InlineData("char_cnn", "max_characters_per_token", "1e8")]
    [InlineData("char_cnn", "max_characters_per_token", "1e9")]
    [InlineData("char_cnn", "max_characters_per_token", "2147483647")]
    [InlineData("char_cnn", "max_characters_per_token", "1001")]
    [InlineData("lstm", "dim", "2147483647")]
    [InlineData("lstm", "projection_dim", "1073741824")]
    [InlineData("lstm", "n_layers", "-1")]
    [InlineData("char_cnn", "n_highway", "-2147483648")]
    [InlineData("lstm", "n_layers", "4294967296")]
    [InlineData("lstm", "n_layers", "1e300")]
    [InlineData("lstm", "n_layers", "2.5")]
    public void HugeNegativeOrFractionalCountsAreRefusedNamingTheKey(string section, string key, string value)
    {
        // Before: n_layers / n_highway 1e9 and 2^31-1 ran for minutes, max_characters_per_token 1e8 ended in
        // "Out of memory." (exit 134). The counts the weights fix are refused against the weights file (n_layers 1000:
        // the first missing LSTM layer), the others against the documented bounds.
        using var dir = new TempDirectory();
        string path = WriteOptions(dir, json => json[section]![key] = JsonNode.Parse(value));
        var e = Load(path);
        Assert.NotNull(e);
        bool namesTheKey = e.Message.Contains($"{section}.{key}", StringComparison.Ordinal);
        bool namesTheMissingDataset = e is InvalidDataException && e.Message.Contains("missing dataset", StringComparison.Ordinal);
        Assert.True(namesTheKey || namesTheMissingDataset, e.Message);
        Assert.True(HostileFiles.IsCleanType(e), e.ToString());
        if (namesTheMissingDataset) Assert.Contains(HostileFiles.FixtureWeights, e.Message);
        else Assert.Contains(path, e.Message);
    }

    [Theory]
    [InlineData(2147483647)]
    [InlineData(2147483600)]
    [InlineData(1000000)]
    public void FilterWidthsNearTheIntegerLimitAreRefused(int width)
    {
        // Before: an overflow in the layout ended as an internal error.
        using var dir = new TempDirectory();
        string path = WriteOptions(dir, json => json["char_cnn"]!["filters"]![4] = new JsonArray(width, 64));
        HostileFiles.AssertCleanError(Load(path), path, "filter width", "char_cnn.filters");
    }

    [Fact]
    public void ALargeFilterCountIsCheckedAgainstTheWeights()
    {
        using var dir = new TempDirectory();
        string path = WriteOptions(dir, json => json["char_cnn"]!["filters"]![4] = new JsonArray(5, 60000));
        HostileFiles.AssertCleanError(Load(path), HostileFiles.FixtureWeights, "filter count", "CNN/W_cnn_4", "(1, 5, 4, 60000)");
    }

    [Theory]
    [InlineData("lstm", "n_layers")]
    [InlineData("lstm", "dim")]
    [InlineData("lstm", "projection_dim")]
    [InlineData("lstm", "use_skip_connections")]
    [InlineData("char_cnn", "n_highway")]
    [InlineData("char_cnn", "max_characters_per_token")]
    [InlineData("char_cnn", "activation")]
    [InlineData("char_cnn", "filters")]
    [InlineData("char_cnn", "n_characters")]
    [InlineData("char_cnn", "embedding")]
    public void NullWhereAValueIsRequiredIsRefused(string section, string key)
    {
        // Before: "n_layers": null was taken as bilm-tf's default 1 and silently changed the output.
        using var dir = new TempDirectory();
        string path = WriteOptions(dir, json => json[section]![key] = null);
        HostileFiles.AssertCleanError(Load(path), path, $"{section}.{key} null", $"{section}.{key}", "null");
    }

    [Fact]
    public void NullClipsStillMeanNoClipping()
    {
        using var dir = new TempDirectory();
        string path = WriteOptions(dir, json =>
        {
            json["lstm"]!["cell_clip"] = null;
            json["lstm"]!["proj_clip"] = null;
        });
        var o = ElmoOptions.Load(path);
        Assert.Null(o.CellClip);
        Assert.Null(o.ProjectionClip);
    }

    [Theory]
    [InlineData("""{"lstm": {"dim": 64, "dim": 65}}""", "lstm.dim")]
    [InlineData("""{"lstm": {}, "lstm": {}}""", "lstm")]
    [InlineData("""{"char_cnn": {"filters": [[1, 4]], "embedding": {"dim": 4, "dim": 4}}}""", "char_cnn.embedding.dim")]
    [InlineData("""{"char_cnn": {"filters": [{"a": 1, "a": 2}]}}""", "char_cnn.filters[].a")]
    public void ADuplicateKeyIsRefusedNamingIt(string json, string key)
    {
        // Before: an internal error (ArgumentException from System.Text.Json).
        using var dir = new TempDirectory();
        string path = dir.File("options.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<FormatException>(() => ElmoOptions.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains($"\"{key}\" is given twice", e.Message);
    }

    [Fact]
    public void ADuplicateKeyInTheFixtureIsRefusedThroughTheCli()
    {
        using var dir = new TempDirectory();
        string text = File.ReadAllText(HostileFiles.FixtureOptions).Replace("\"n_layers\": 2,", "\"n_layers\": 2, \"n_layers\": 1,", StringComparison.Ordinal);
        string path = dir.File("options.json");
        File.WriteAllText(path, text);
        CliResult.Run("info", "--options", path, "--weights", HostileFiles.FixtureWeights).AssertError(1, path, "lstm.n_layers", "twice");
    }

    [Theory]
    [InlineData("lstm", "dim", "\"64\"")]
    [InlineData("lstm", "n_layers", "true")]
    [InlineData("lstm", "n_layers", "[2]")]
    [InlineData("lstm", "use_skip_connections", "1")]
    [InlineData("char_cnn", "activation", "{}")]
    [InlineData("char_cnn", "filters", "{}")]
    [InlineData("char_cnn", "embedding", "4")]
    [InlineData("lstm", "cell_clip", "true")]
    public void AValueOfTheWrongTypeIsRefusedNamingTheKey(string section, string key, string value)
    {
        using var dir = new TempDirectory();
        string path = WriteOptions(dir, json => json[section]![key] = JsonNode.Parse(value));
        HostileFiles.AssertCleanError(Load(path), path, $"{section}.{key} = {value}", $"{section}.{key}");
    }

    [Fact]
    public void AFilterThatIsNotAPairIsRefused()
    {
        using var dir = new TempDirectory();
        string path = WriteOptions(dir, json => json["char_cnn"]!["filters"]![0] = null);
        HostileFiles.AssertCleanError(Load(path), path, "null filter", "char_cnn.filters");
    }

    [Fact]
    public void AnOptionsFileLargerThanTheLimitIsRefusedUnread()
    {
        using var dir = new TempDirectory();
        string path = dir.File("options.json");
        File.WriteAllText(path, File.ReadAllText(HostileFiles.FixtureOptions) + new string(' ', 1 << 20));
        HostileFiles.AssertCleanError(Load(path), path, "2 MB options", "larger than");
    }

    [Fact]
    public void AByteOrderMarkIsSkippedAndInvalidUtf8Refused()
    {
        // Read with a size limit instead of File.ReadAllText: a UTF-8 BOM is still skipped, invalid UTF-8 is an error.
        using var dir = new TempDirectory();
        string path = dir.File("options.json");
        byte[] text = File.ReadAllBytes(HostileFiles.FixtureOptions);
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. text]);
        Assert.Equal(ElmoOptions.Load(HostileFiles.FixtureOptions), ElmoOptions.Load(path));
        File.WriteAllBytes(path, [.. text[..10], 0xFF, .. text[10..]]);
        var e = Assert.Throws<FormatException>(() => ElmoOptions.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("UTF-8", e.Message);
    }

    [Theory]
    [InlineData(60)]
    [InlineData(1000)]
    public void ALargerCharacterWindowWithinTheBoundGivesTheSameVectorsForShortWords(int maxCharacters)
    {
        // max_characters_per_token is not fixed by the weights: within the bound it loads, and words shorter than both
        // windows get the same vectors (the padding windows all give the same sums).
        using var dir = new TempDirectory();
        string path = WriteOptions(dir, json => json["char_cnn"]!["max_characters_per_token"] = maxCharacters);
        using var a = ElmoModel.Load(HostileFiles.FixtureOptions, HostileFiles.FixtureWeights);
        using var b = ElmoModel.Load(path, HostileFiles.FixtureWeights);
        string[] shortWords = ["The", "bank", "of", "the", "river", "."];
        Assert.True(Compare.BitIdentical(a.Embed(shortWords).Activations, b.Embed(shortWords).Activations));
    }
}
