using ElmoNative.Training.Tagging;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ElmoNative.Training.Tests.Tagging;

/// <summary>The Brown base-tag rule, the universal mapping and the tagged-text reader's errors.</summary>
public sealed class TagSchemeTests
{
    [Theory]
    [InlineData("nn", "NN")]
    [InlineData("nn-tl", "NN")]
    [InlineData("nn-tl-hl", "NN")]
    [InlineData("vbn-tl-nc", "VBN")]
    [InlineData("pps+bez", "PPS+BEZ")]
    [InlineData("bez*", "BEZ*")]
    [InlineData("fw-nn-tl", "FW-NN")]
    [InlineData("---hl", "--")]
    [InlineData("*-tl", "*")]
    public void BaseTagStripsOnlyTheSuffixes(string tag, string expected) => Assert.Equal(expected, BrownTags.BaseTag(tag));

    [Fact]
    public void InventoriesAreThePublishedOnes()
    {
        Assert.Equal(472, BrownTags.FullTags.Count);
        Assert.Equal(232, BrownTags.BaseTags.Count);
        Assert.Equal(12, BrownTags.UniversalTags.Count);
        Assert.All(BrownTags.FullTags, t => Assert.Contains(BrownTags.UniversalTag(t), BrownTags.UniversalTags));
        Assert.Equal("NOUN", BrownTags.UniversalTag("np-tl"));
        Assert.Equal("VERB", BrownTags.UniversalTag("bedz*"));
        Assert.Equal(".", BrownTags.UniversalTag(","));
        Assert.Null(BrownTags.UniversalTag("xyz"));
        Assert.Null(BrownTags.Convert(TagScheme.Brown, "xyz"));
    }

    [Property(MaxTest = 200)]
    public Property BaseTagIsIdempotentAndInTheInventory(PositiveInt pick, byte suffixes)
    {
        var tags = BrownTags.FullTags.ToArray();
        string tag = tags[pick.Get % tags.Length];
        string[] extra = ["-tl", "-hl", "-nc"];
        for (int i = 0; i < suffixes % 3; i++) tag += extra[(suffixes >> (2 * i)) % 3];
        string b = BrownTags.BaseTag(tag);
        return (BrownTags.BaseTag(b) == b && BrownTags.BaseTags.Contains(b)).Label($"{tag} -> {b}");
    }

    [Fact]
    public void ReaderNamesFileAndLineOfABadToken()
    {
        using var dir = new TempFolder();
        string missing = dir.Write("missing.txt", "The/at dog/nn ./.\n\nA/at cat/\n");
        var e = Assert.Throws<InvalidDataException>(() => TaggedText.Read(missing, TagScheme.Brown));
        Assert.Contains($"{missing}:3:", e.Message, StringComparison.Ordinal);
        Assert.Contains("'cat/' has no tag", e.Message, StringComparison.Ordinal);
        string noSlash = dir.Write("noslash.txt", "The/at dog ./.\n");
        e = Assert.Throws<InvalidDataException>(() => TaggedText.Read(noSlash, TagScheme.AsWritten));
        Assert.Contains($"{noSlash}:1:", e.Message, StringComparison.Ordinal);
        string unknown = dir.Write("unknown.txt", "The/at dog/zz ./.\n");
        e = Assert.Throws<InvalidDataException>(() => TaggedText.Read(unknown, TagScheme.Universal));
        Assert.Contains($"{unknown}:1:", e.Message, StringComparison.Ordinal);
        Assert.Contains("'zz'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ReaderKeepsSlashesInWordsAndSkipsBlankLines()
    {
        using var dir = new TempFolder();
        string path = dir.Write("ok.txt", "\n1/2/cd and/cc-tl\n  \nit/pps\n");
        var sentences = TaggedText.Read(path, TagScheme.Brown);
        Assert.Equal(2, sentences.Count);
        Assert.Equal(["1/2", "and"], sentences[0].Words);
        Assert.Equal(["CD", "CC"], sentences[0].Tags);
        Assert.Equal(2, sentences[0].Line);
        Assert.Equal(4, sentences[1].Line);
    }

    [Fact]
    public void BaselineIsTheMostFrequentTagPerWord()
    {
        var train = new[]
        {
            new TaggedSentence(["run", "fast"], ["VB", "RB"], 1),
            new TaggedSentence(["run", "home", "today"], ["NN", "NN", "NN"], 2),
            new TaggedSentence(["run"], ["VB"], 3),
        };
        var baseline = MostFrequentTagBaseline.Train(train);
        Assert.Equal("VB", baseline.Tag("run"));   // 2 VB, 1 NN
        Assert.Equal("NN", baseline.Tag("unseen")); // NN is the most frequent tag overall (3 of 6)
        var (accuracy, tokens) = baseline.Evaluate([new TaggedSentence(["run", "fast", "dog"], ["VB", "RB", "VB"], 1)]);
        Assert.Equal(3, tokens);
        Assert.Equal(2.0 / 3, accuracy, 12);
    }
}
