using ElmoNative.Extensions.AI;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ElmoNative.Extensions.AI.Tests;

/// <summary>The default tokenizer on the cases its documentation names, and as a property: it only splits.</summary>
public class TokenizerTests
{
    [Theory]
    [InlineData("don't.", "do|n't|.")]
    [InlineData("\"Don't,\" he said.", "\"|Do|n't|,|\"|he|said|.")]
    [InlineData("Mr. Smith went to Washington.", "Mr.|Smith|went|to|Washington|.")]
    [InlineData("The U.S. is big.", "The|U.S.|is|big|.")]
    [InlineData("I can't, won't!", "I|ca|n't|,|wo|n't|!")]
    [InlineData("He's here; they'll come (maybe)...", "He|'s|here|;|they|'ll|come|(|maybe|)|...")]
    [InlineData("3,000 people paid $5.50.", "3,000|people|paid|$|5.50|.")]
    [InlineData("J. R. R. Tolkien wrote it.", "J.|R.|R.|Tolkien|wrote|it|.")]
    [InlineData("``Hello,'' she said.", "``|Hello|,|''|she|said|.")]
    [InlineData("the dogs' bones", "the|dogs|'|bones")]
    [InlineData("don’t", "do|n’t")]
    [InlineData("I'm sure you'd say we've won", "I|'m|sure|you|'d|say|we|'ve|won")]
    [InlineData("a well-known e.g. case", "a|well-known|e.g.|case")]
    [InlineData("It's 5 o'clock", "It|'s|5|o'clock")]
    [InlineData("Stop... now?!", "Stop|...|now|?|!")]
    [InlineData("(He said 'yes'.)", "(|He|said|'|yes|'|.|)")]
    [InlineData("50% of\tthe\nvotes", "50|%|of|the|votes")]
    [InlineData("I.", "I|.")]
    [InlineData("etc. and so on", "etc.|and|so|on")]
    [InlineData("and so on etc.", "and|so|on|etc|.")]
    public void SplitsAsDocumented(string text, string expected) =>
        Assert.Equal(expected.Split('|'), PennTreebankTokenizer.Instance.Tokenize(text));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(" \t\r\n ")]
    public void WhitespaceGivesNoTokens(string text) => Assert.Empty(PennTreebankTokenizer.Instance.Tokenize(text));

    [Fact]
    public void WhitespaceTokenizerKeepsWordsWhole() =>
        Assert.Equal(["don't.", "\"Hi,\""], ElmoTokenizers.Whitespace.Tokenize("  don't. \t \"Hi,\" "));

    [Fact]
    public void DelegateTokenizerCallsTheFunction() =>
        Assert.Equal(["A", "B"], ElmoTokenizers.FromDelegate(t => t.ToUpperInvariant().Split('-')).Tokenize("a-b"));

    private static readonly char[] Alphabet = "abcXYZ019 .,;:!?'’\"()[]$%`-\tn'tsl".ToCharArray();

    [Property(MaxTest = 500)]
    public Property OnlySplitsNeverChangesCharacters() => Prop.ForAll(
        Gen.Elements(Alphabet).ArrayOf().Select(c => new string(c)).ToArbitrary(), text =>
        {
            var tokens = PennTreebankTokenizer.Instance.Tokenize(text);
            bool noEmptyOrSpaced = tokens.All(t => t.Length > 0 && !t.Any(char.IsWhiteSpace));
            bool sameCharacters = string.Concat(tokens) == string.Concat(text.Where(c => !char.IsWhiteSpace(c)));
            return noEmptyOrSpaced && sameCharacters;
        });
}
