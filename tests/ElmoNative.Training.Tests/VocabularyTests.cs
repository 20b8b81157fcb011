using ElmoNative.Training.Data;
using FsCheck;
using FsCheck.Xunit;

namespace ElmoNative.Training.Tests;

public sealed class VocabularyTests
{
    [Fact]
    public void BuildingFromTheBilmTrainFixtureGivesItsVocabularyFile()
    {
        // bilm-tf's fixture vocab.txt: <S>, </S>, <UNK>, then the words of data.txt. Ties in its own order are not
        // ordinal, so compare the set and the frequency order instead of the exact file.
        var built = Vocabulary.Build([DataFixtures.BilmTrain("data.txt")]);
        var fixture = Vocabulary.Load(DataFixtures.BilmTrain("vocab.txt"));
        Assert.Equal(["<S>", "</S>", "<UNK>"], built.Words.Take(3));
        Assert.Equal(["<S>", "</S>", "<UNK>"], fixture.Words.Take(3));
        Assert.Equal((0, 1, 2), (fixture.BeginOfSentenceId, fixture.EndOfSentenceId, fixture.UnknownId));
        foreach (string word in fixture.Words.Skip(3)) Assert.True(built.Contains(word), word);
        var counts = built.Counts!;
        for (int i = 4; i < built.Count; i++) Assert.True(counts[i - 1] >= counts[i]);
    }

    [Fact]
    public void OrderIsDescendingCountThenOrdinal()
    {
        using var dir = new TempFolder();
        string a = dir.Write("a.txt", "b a c a\n\n  B b a  \n");
        string b = dir.Write("b.txt", "c Z z\n<S> x\n");
        var v = Vocabulary.Build([a, b]);
        // counts: a 3, b 2, c 2, B 1, Z 1, x 1, z 1 (ordinal: upper case before lower case)
        Assert.Equal(["<S>", "</S>", "<UNK>", "a", "b", "c", "B", "Z", "x", "z"], v.Words);
        Assert.Equal([5L, 4L, 0L, 3L, 2L, 2L, 1L, 1L, 1L, 1L], v.Counts!); // 4 sentences, +1 literal <S>
    }

    [Fact]
    public void MinCountLeavesRareWordsToUnk()
    {
        using var dir = new TempFolder();
        string a = dir.Write("a.txt", "x x x y y z\n");
        var v = Vocabulary.Build([a], minCount: 2);
        Assert.Equal(["<S>", "</S>", "<UNK>", "x", "y"], v.Words);
        Assert.Equal(1, v.Counts![v.UnknownId]);
        Assert.Equal(v.UnknownId, v.IdOf("z"));
        Assert.Equal(3, v.IdOf("x"));
        Assert.Equal(2, v.IdOf("never-seen"));
    }

    [Property(MaxTest = 60)]
    public bool BuildIsDeterministicSortedAndRoundTrips(NonEmptyArray<NonEmptyString>[] lines, PositiveInt minCount)
    {
        using var dir = new TempFolder();
        var text = string.Join("\n", lines.Select(l => string.Join(" ", l.Get.SelectMany(w => Tokenizer.Split(w.Get)))));
        string file = dir.Write("t.txt", text);
        int min = 1 + minCount.Get % 3;
        var v = Vocabulary.Build([file], min);
        var counts = v.Counts!;
        var expected = lines.SelectMany(l => l.Get.SelectMany(w => Tokenizer.Split(w.Get)))
            .Where(w => w is not ("<S>" or "</S>" or "<UNK>"))
            .GroupBy(w => w, StringComparer.Ordinal).Where(g => g.Count() >= min)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).Select(g => g.Key);
        string saved = dir.Path_("vocab.txt");
        v.Save(saved);
        var loaded = Vocabulary.Load(saved);
        return v.Words.Skip(3).SequenceEqual(expected)
            && loaded.Words.SequenceEqual(v.Words)
            && Enumerable.Range(3, v.Count - 3).All(i => counts[i] >= min && (i == 3 || counts[i - 1] >= counts[i]));
    }

    [Theory]
    [InlineData("<S>\n</S>\n<UNK>\na\n\nb\n", ":5:", "empty line")]
    [InlineData("<S>\n</S>\n<UNK>\na\nb\na\n", ":6:", "already appears on line 4")]
    [InlineData("<S>\n</S>\na\n<UNK>\n", ":3:", "special tokens")]
    [InlineData("the\n<S>\n</S>\n<UNK>\n", ":1:", "special tokens")]
    [InlineData("<S>\n</S>\n<UNK>\ntwo words\n", ":4:", "more than one token")]
    [InlineData("", "vocab.txt", "empty")]
    public void LoadErrorsNameFileAndLine(string text, string where, string what)
    {
        using var dir = new TempFolder();
        string path = dir.Write("vocab.txt", text);
        var e = Assert.Throws<InvalidDataException>(() => Vocabulary.Load(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(where, e.Message);
        Assert.Contains(what, e.Message);
    }

    [Fact]
    public void LoadAcceptsSpecialTokensInAnyOrderAtTheTopAndInvalidUtf8IsAnError()
    {
        using var dir = new TempFolder();
        // bilm-tf's published 1B Word vocabulary starts with </S>, <S>, <UNK>.
        var v = Vocabulary.Load(dir.Write("v1.txt", "</S>\n<S>\n<UNK>\nthe\n"));
        Assert.Equal((1, 0, 2, 3), (v.BeginOfSentenceId, v.EndOfSentenceId, v.UnknownId, v.IdOf("the")));
        string bad = dir.Write("v2.txt", [.. "<S>\n</S>\n<UNK>\n"u8, 0xC3, 0x28, (byte)'\n']);
        var e = Assert.Throws<InvalidDataException>(() => Vocabulary.Load(bad));
        Assert.Contains(bad + ":4:", e.Message);
        Assert.Throws<FileNotFoundException>(() => Vocabulary.Load(dir.Path_("missing.txt")));
    }

    [Fact]
    public void SaveIsAtomicAndLeavesNoTemporaryFile()
    {
        using var dir = new TempFolder();
        var v = Vocabulary.FromTokens(["<S>", "</S>", "<UNK>", "é", "a"]);
        string path = dir.Path_("vocab.txt");
        v.Save(path);
        Assert.Equal("<S>\n</S>\n<UNK>\né\na\n", File.ReadAllText(path));
        Assert.Equal(["vocab.txt"], dir.Entries());
    }
}
