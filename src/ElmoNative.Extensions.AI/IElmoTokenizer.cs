namespace ElmoNative.Extensions.AI;

/// <summary>
/// Splits a raw string into the tokens the biLM reads (ELMo works on tokens: its character CNN sees each token's
/// characters). Replace it to match the tokenization of your model's training text (docs/dotnet-ai.md).
/// </summary>
public interface IElmoTokenizer
{
    /// <summary>The tokens of <paramref name="text"/>, in order; none may be null or empty.</summary>
    IReadOnlyList<string> Tokenize(string text);
}

/// <summary>Ready-made tokenizers.</summary>
public static class ElmoTokenizers
{
    /// <summary>The default: Penn Treebank style (<see cref="PennTreebankTokenizer"/>).</summary>
    public static IElmoTokenizer PennTreebank => PennTreebankTokenizer.Instance;

    /// <summary>Whitespace only: for text that is already tokenized (one token per whitespace-separated word).</summary>
    public static IElmoTokenizer Whitespace { get; } = new DelegateTokenizer(
        text => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

    /// <summary>A tokenizer made of a function (for example another library's tokenizer).</summary>
    public static IElmoTokenizer FromDelegate(Func<string, IReadOnlyList<string>> tokenize)
    {
        ArgumentNullException.ThrowIfNull(tokenize);
        return new DelegateTokenizer(tokenize);
    }

    private sealed class DelegateTokenizer(Func<string, IReadOnlyList<string>> tokenize) : IElmoTokenizer
    {
        public IReadOnlyList<string> Tokenize(string text) => tokenize(text);
    }
}
