using System.Text;
using ElmoNative.Tests.Reference;
using ElmoNative.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ElmoNative.Tests;

/// <summary>Spec section 2: each token becomes exactly W character ids.</summary>
public class CharacterIdsTests
{
    // Shifted ids (the ids of docs/model.md section 2, + 1).
    private const int BeginWord = 259, EndWord = 260, Pad = 261, BeginSentence = 257, EndSentence = 258;

    /// <summary>The expected row spelled out: [259, prefix bytes + 1 ..., 260, 261, ...].</summary>
    private static int[] Row(int width, params int[] bytes)
    {
        var row = new int[width];
        Array.Fill(row, Pad);
        row[0] = BeginWord;
        for (int i = 0; i < bytes.Length; i++) row[1 + i] = bytes[i] + 1;
        row[1 + bytes.Length] = EndWord;
        return row;
    }

    private static int[] Repeat(int value, int count) => Enumerable.Repeat(value, count).ToArray();

    [Fact]
    public void PlainAscii() => Assert.Equal(Row(50, 'c', 'a', 't'), CharacterIds.Map("cat", 50));

    [Fact]
    public void SentenceBoundaries()
    {
        var begin = Row(50);
        begin[1] = BeginSentence;
        begin[2] = EndWord;
        begin[3] = Pad;
        Assert.Equal(begin, CharacterIds.Map("<S>", 50));
        var end = Row(50);
        end[1] = EndSentence;
        end[2] = EndWord;
        end[3] = Pad;
        Assert.Equal(end, CharacterIds.Map("</S>", 50));
        // Spelled out once more, literally from docs/model.md section 2: [258, 256, 259, 260, 260, ...] + 1.
        Assert.Equal(new[] { 259, 257, 260, 261, 261 }, CharacterIds.Map("<S>", 50)[..5]);
        Assert.Equal(new[] { 259, 258, 260, 261, 261 }, CharacterIds.Map("</S>", 50)[..5]);
        // Only the exact strings are boundaries.
        Assert.Equal(Row(50, '<', 's', '>'), CharacterIds.Map("<s>", 50));
        Assert.Equal(Row(50, ' ', '<', 'S', '>'), CharacterIds.Map(" <S>", 50));
    }

    [Fact]
    public void Exactly48BytesFillTheRow()
    {
        var ids = CharacterIds.Map(new string('x', 48), 50);
        Assert.Equal(Row(50, Repeat('x', 48)), ids);
        Assert.Equal(EndWord, ids[49]); // no padding at all
    }

    [Fact]
    public void FortyNineBytesAreCutTo48()
    {
        Assert.Equal(Row(50, Repeat('y', 48)), CharacterIds.Map(new string('y', 49), 50));
        Assert.Equal(Row(50, Repeat('y', 48)), CharacterIds.Map(new string('y', 500), 50));
    }

    [Fact]
    public void MultiByteCharacterCutInTheMiddle()
    {
        // 47 'a' + é (C3 A9): the cut keeps only C3.
        Assert.Equal(Row(50, [.. Repeat('a', 47), 0xC3]), CharacterIds.Map(new string('a', 47) + "é", 50));
        // 46 'a' + 日 (E6 97 A5): keeps E6 97.
        Assert.Equal(Row(50, [.. Repeat('a', 46), 0xE6, 0x97]), CharacterIds.Map(new string('a', 46) + "日", 50));
        // 17 x 日 = 51 bytes: exactly 16 characters fit.
        Assert.Equal(Row(50, [.. Enumerable.Repeat(new[] { 0xE6, 0x97, 0xA5 }, 16).SelectMany(b => b)]), CharacterIds.Map(string.Concat(Enumerable.Repeat("日", 17)), 50));
    }

    [Fact]
    public void EmojiAndSurrogatePairs()
    {
        // 😀 is U+1F600: one surrogate pair in UTF-16, F0 9F 98 80 in UTF-8.
        Assert.Equal(Row(50, 0xF0, 0x9F, 0x98, 0x80), CharacterIds.Map("😀", 50));
        // The pair cut by the byte limit: 47 'a' + 😀 keeps F0; 45 'a' + 😀 keeps F0 9F 98.
        Assert.Equal(Row(50, [.. Repeat('a', 47), 0xF0]), CharacterIds.Map(new string('a', 47) + "😀", 50));
        Assert.Equal(Row(50, [.. Repeat('a', 45), 0xF0, 0x9F, 0x98]), CharacterIds.Map(new string('a', 45) + "😀", 50));
        // 48 'a' + 😀: the UTF-16 pair straddles the 49th character; nothing of it may appear.
        Assert.Equal(Row(50, Repeat('a', 48)), CharacterIds.Map(new string('a', 48) + "😀", 50));
        // 12 emoji = 48 bytes exactly; 13 are cut to 12.
        var twelve = Enumerable.Repeat(new[] { 0xF0, 0x9F, 0x98, 0x80 }, 12).SelectMany(b => b).ToArray();
        Assert.Equal(Row(50, twelve), CharacterIds.Map(string.Concat(Enumerable.Repeat("😀", 12)), 50));
        Assert.Equal(Row(50, twelve), CharacterIds.Map(string.Concat(Enumerable.Repeat("😀", 13)), 50));
        // Combining marks are separate code points: e + U+0301 = 65 CC 81.
        Assert.Equal(Row(50, 'e', 0xCC, 0x81), CharacterIds.Map("e\u0301", 50));
    }

    [Fact]
    public void OtherWidths()
    {
        Assert.Equal(Row(20, "abcdefghijklmnopqr".Select(c => (int)c).ToArray()), CharacterIds.Map("abcdefghijklmnopqrstuvwxyz", 20));
        Assert.Equal(Row(20, [.. Repeat('a', 17), 0xC3]), CharacterIds.Map(new string('a', 17) + "é", 20));
        Assert.Equal(Row(5, 'a', 'b', 'c'), CharacterIds.Map("abcdef", 5));
        Assert.Equal(new[] { BeginWord, BeginSentence, EndWord }, CharacterIds.Map("<S>", 3));
        Assert.Equal(new[] { BeginWord, 'q' + 1, EndWord }, CharacterIds.Map("qq", 3));
        Assert.Equal(Row(50), CharacterIds.Map("", 50));
    }

    [Fact]
    public void SpanOverloadOverwritesEveryPosition()
    {
        var buffer = new int[20];
        Array.Fill(buffer, -7);
        CharacterIds.Map("hello", buffer);
        Assert.Equal(Row(20, 'h', 'e', 'l', 'l', 'o'), buffer);
        CharacterIds.Map("a", buffer); // a shorter token after a longer one: nothing left over
        Assert.Equal(Row(20, 'a'), buffer);
    }

    [Fact]
    public void LibraryAgreesWithReferenceMapping()
    {
        foreach (int width in new[] { 3, 11, 20, 50 })
            foreach (var token in TestSentences.Tricky)
                Assert.Equal(ScalarElmo.CharacterIds(token, width), CharacterIds.Map(token, width));
    }

    // ----- property: any string, any width -----

    /// <summary>Pieces that make strings awkward: multi-byte characters, emoji, combining marks, lone surrogates, NUL.</summary>
    private static readonly string[] Pieces =
        ["a", "Z", "0", " ", "<", "S", ">", "/", "é", "ß", "Ж", "日", "한", "😀", "👍🏽", "\u0301", "\uD800", "\uDC00", "\0", "\u00A0", "\uFFFF"];

    public sealed record TokenCase(string Token, int Width);

    private static Arbitrary<TokenCase> Cases()
    {
        var pieces = Gen.Choose(0, 80).SelectMany(n => Gen.Elements(Pieces).ArrayOf(n)).Select(string.Concat);
        var anyString = ArbMap.Default.GeneratorFor<string>().Where(s => s is not null);
        var tokens = Gen.OneOf(pieces, anyString).Where(s => s is not "<S>" and not "</S>");
        return (from token in tokens from width in Gen.Choose(3, 64) select new TokenCase(token, width)).ToArbitrary();
    }

    [Property(MaxTest = 500)]
    public Property AnyStringGivesAFramedUtf8Prefix() => Prop.ForAll(Cases(), c =>
    {
        var ids = CharacterIds.Map(c.Token, c.Width);
        // The UTF-8 bytes of the whole string (lone surrogates become U+FFFD, as .NET encodes them), cut to W - 2.
        byte[] utf8 = Encoding.UTF8.GetBytes(c.Token);
        int kept = Math.Min(utf8.Length, c.Width - 2);
        Assert.Equal(c.Width, ids.Length);
        Assert.Equal(BeginWord, ids[0]);
        for (int k = 0; k < kept; k++) Assert.Equal(utf8[k] + 1, ids[1 + k]);
        Assert.Equal(EndWord, ids[1 + kept]);
        for (int k = 2 + kept; k < c.Width; k++) Assert.Equal(Pad, ids[k]);
        Assert.Equal(ScalarElmo.CharacterIds(c.Token, c.Width), ids);
    });
}
