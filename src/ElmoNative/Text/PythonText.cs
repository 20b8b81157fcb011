namespace ElmoNative.Text;

/// <summary>
/// Python's <c>str.strip()</c> and <c>str.split()</c> (no arguments), which AllenNLP's <c>elmo</c> command applies to
/// each input line. Python's whitespace is .NET's <see cref="char.IsWhiteSpace(char)"/> plus U+001C..U+001F (the
/// file, group, record and unit separators), which .NET does not count.
/// </summary>
internal static class PythonText
{
    /// <summary>Whether Python's <c>str.isspace()</c> holds for <paramref name="c"/>.</summary>
    public static bool IsWhiteSpace(char c) => char.IsWhiteSpace(c) || c is >= '\u001C' and <= '\u001F';

    /// <summary><c>line.strip()</c>: without leading and trailing Python whitespace.</summary>
    public static string Strip(string line)
    {
        var stripped = Strip(line.AsSpan());
        return stripped.Length == line.Length ? line : stripped.ToString();
    }

    /// <summary><c>line.strip()</c> on characters: the part without leading and trailing Python whitespace.</summary>
    public static ReadOnlySpan<char> Strip(ReadOnlySpan<char> line)
    {
        int start = 0, end = line.Length;
        while (start < end && IsWhiteSpace(line[start])) start++;
        while (end > start && IsWhiteSpace(line[end - 1])) end--;
        return line[start..end];
    }

    /// <summary><c>sentence.split()</c>: the runs of non-whitespace characters.</summary>
    public static string[] Split(string sentence) => Split(sentence, pool: null);

    /// <summary>
    /// <c>sentence.split()</c>, taking each token's string from <paramref name="pool"/> when one is given (no allocation
    /// for a token the pool holds); the array is allocated at its exact length.
    /// </summary>
    public static string[] Split(ReadOnlySpan<char> sentence, TokenStringPool? pool)
    {
        var tokens = new string[CountTokens(sentence)];
        SplitInto(sentence, tokens, pool);
        return tokens;
    }

    /// <summary>The number of tokens <c>sentence.split()</c> gives.</summary>
    public static int CountTokens(ReadOnlySpan<char> sentence)
    {
        int count = 0;
        for (int i = 0; NextToken(sentence, ref i, out _);) count++;
        return count;
    }

    /// <summary>
    /// <c>sentence.split()</c> into <paramref name="tokens"/>, which has <see cref="CountTokens"/> places; strings from
    /// <paramref name="pool"/> when one is given.
    /// </summary>
    public static void SplitInto(ReadOnlySpan<char> sentence, Span<string> tokens, TokenStringPool? pool)
    {
        int count = 0;
        for (int i = 0; NextToken(sentence, ref i, out var token);)
            tokens[count++] = pool is null ? new string(sentence[token]) : pool.Get(sentence[token]);
        if (count != tokens.Length) throw new ArgumentException($"{tokens.Length} places for {count} tokens", nameof(tokens));
    }

    /// <summary>The next run of non-whitespace characters at or after <paramref name="i"/> (which moves past it), or false at the end.</summary>
    private static bool NextToken(ReadOnlySpan<char> text, ref int i, out Range token)
    {
        while (i < text.Length && IsWhiteSpace(text[i])) i++;
        int start = i;
        while (i < text.Length && !IsWhiteSpace(text[i])) i++;
        token = start..i;
        return i > start;
    }
}
