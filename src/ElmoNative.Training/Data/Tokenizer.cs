namespace ElmoNative.Training.Data;

/// <summary>
/// Splits a line of pre-tokenized text into tokens: runs of non-whitespace separated by any Unicode whitespace
/// (Python's <c>str.split()</c>, which bilm-tf uses). A blank line has no tokens.
/// </summary>
public static class Tokenizer
{
    /// <summary>The tokens of <paramref name="line"/>, in order.</summary>
    public static string[] Split(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var tokens = new List<string>();
        int i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            int start = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i])) i++;
            if (i > start) tokens.Add(line[start..i]);
        }
        return tokens.ToArray();
    }

    /// <summary>Whether <paramref name="line"/> holds no token.</summary>
    public static bool IsBlank(string line) => string.IsNullOrWhiteSpace(line);
}
