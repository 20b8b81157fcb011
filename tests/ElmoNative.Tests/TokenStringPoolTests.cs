using System.Text;
using ElmoNative.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ElmoNative.Tests;

/// <summary>
/// <see cref="PythonText.Split(ReadOnlySpan{char}, TokenStringPool?)"/> with and without a <see cref="TokenStringPool"/>
/// against a plain reference of Python's <c>str.split()</c>, and the pool's promise: equal characters give an equal
/// string always, and the same instance (no allocation) while the token keeps its slot.
/// </summary>
public class TokenStringPoolTests
{
    /// <summary>Python's whitespace that .NET also counts, the four separators .NET does not, and token characters.</summary>
    private static readonly char[] Alphabet = [' ', '\t', '\n', '\u00A0', '\u2028', '\u001C', '\u001F', 'a', 'b', 'c', 'é', '.', '\u200B'];

    private static List<string> ReferenceSplit(string text)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        foreach (char c in text)
        {
            bool space = char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';
            if (!space) current.Append(c);
            else if (current.Length > 0)
            {
                tokens.Add(current.ToString());
                current.Clear();
            }
        }
        if (current.Length > 0) tokens.Add(current.ToString());
        return tokens;
    }

    private static Arbitrary<string[]> Sentences() =>
        Gen.ArrayOf(Gen.ArrayOf(Gen.Elements(Alphabet)).Select(chars => new string(chars))).ToArbitrary();

    [Property(MaxTest = 300)]
    public Property SplitMatchesPythonWithAnyPool() => Prop.ForAll(Sentences(), sentences =>
    {
        var tiny = new TokenStringPool(1); // every token fights for one slot
        var pool = new TokenStringPool(64);
        foreach (string text in sentences)
        {
            var expected = ReferenceSplit(text);
            Assert.Equal(expected, PythonText.Split(text));
            Assert.Equal(expected, PythonText.Split(text, tiny));
            Assert.Equal(expected, PythonText.Split(text, pool));
        }
    });

    [Fact]
    public void ATokenThatKeepsItsSlotIsTheSameInstance()
    {
        var pool = new TokenStringPool(1);
        string first = pool.Get("the".AsSpan());
        Assert.Same(first, pool.Get("xthex".AsSpan(1, 3)));
        string other = pool.Get("cat".AsSpan()); // takes the only slot
        Assert.Equal("cat", other);
        string again = pool.Get("the".AsSpan());
        Assert.Equal("the", again);
        Assert.NotSame(first, again);
    }

    [Fact]
    public void SplittingKnownTokensAllocatesOnlyTheArray()
    {
        var pool = new TokenStringPool();
        const string sentence = "  the cat sat on the mat , and the dog sat too .  ";
        var tokens = PythonText.Split(sentence, pool);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var again = PythonText.Split(sentence, pool);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        for (int i = 0; i < tokens.Length; i++) Assert.Same(tokens[i], again[i]);
        // One string[] of 13 references: a 24-byte header and 8 bytes each; not one string more.
        Assert.InRange(allocated, 1, 32 + 8 * tokens.Length);
    }
}
