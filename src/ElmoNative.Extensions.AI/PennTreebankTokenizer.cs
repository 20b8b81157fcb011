namespace ElmoNative.Extensions.AI;

/// <summary>
/// The default tokenizer: whitespace, then punctuation and clitics split off the way Penn Treebank / Moses-style
/// tokenizers do (the original ELMo models read text tokenized that way). Exactly (docs/dotnet-ai.md, "Tokenizer"):
/// <list type="number">
/// <item>The text is split at whitespace (<see cref="char.IsWhiteSpace(char)"/>) into words.</item>
/// <item>From the start of a word, opening marks are split off one at a time: <c>( [ { " “ ‘ « ¿ ¡ $ `</c> and
/// <c>'</c> / <c>’</c> (but an apostrophe stays when the rest of the word is a clitic: <c>'s</c>, <c>'ll</c>, ...);
/// <c>``</c> and <c>''</c> are one token.</item>
/// <item>From the end of a word, closing marks are split off one at a time: <c>) ] } " ” ’ ' » , ; : ! ? %</c>,
/// an ellipsis <c>...</c> (one token), and a final period, which stays attached when the rest is letters with periods
/// between them (<c>U.S.</c>, <c>e.g.</c>, <c>Ph.D.</c>) and, except on the last word of the text, when the rest is a
/// single letter (<c>J.</c>) or an abbreviation of <see cref="Abbreviations"/> (<c>Mr.</c>, <c>etc.</c>).</item>
/// <item>What remains is split before a clitic: <c>n't</c> (<c>don't</c> → <c>do n't</c>, <c>can't</c> →
/// <c>ca n't</c>, <c>won't</c> → <c>wo n't</c>) or <c>'s 'm 'd 'll 're 've</c> (<c>he's</c> → <c>he 's</c>), case
/// insensitively, with <c>'</c> or <c>’</c>; the characters are kept as written.</item>
/// </list>
/// Nothing else is changed: case, hyphens (<c>well-known</c>), numbers (<c>3,000</c>, <c>3.5</c>) and inner
/// punctuation stay as they are. Example: <c>"Don't," he said.</c> → <c>" Do n't , " he said .</c>
/// </summary>
public sealed class PennTreebankTokenizer : IElmoTokenizer
{
    /// <summary>The shared instance (the tokenizer holds no state).</summary>
    public static PennTreebankTokenizer Instance { get; } = new();

    /// <summary>Words whose final period is part of the word when it is not the last word of the text (compared ignoring case).</summary>
    public static IReadOnlySet<string> Abbreviations => abbreviations;

    private static readonly HashSet<string> abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "Mr", "Mrs", "Ms", "Dr", "Prof", "Sr", "Jr", "St", "Mt", "vs", "etc", "Inc", "Ltd", "Co", "Corp", "No",
        "Gen", "Gov", "Sen", "Rep", "Rev", "Capt", "Col", "Lt", "Sgt", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul",
        "Aug", "Sep", "Sept", "Oct", "Nov", "Dec",
    };

    private const string Opening = "([{\"“‘«¿¡$`'’";
    private const string Closing = ")]}\"”’'»,;:!?%";
    private static readonly string[] Clitics = ["s", "m", "d", "ll", "re", "ve"];

    /// <inheritdoc/>
    public IReadOnlyList<string> Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<string>();
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var trailing = new List<string>();
        for (int w = 0; w < words.Length; w++)
        {
            ReadOnlySpan<char> word = words[w];
            bool lastWord = w == words.Length - 1;

            // Opening marks.
            while (word.Length > 0)
            {
                if (word.StartsWith("``") || word.StartsWith("''")) { tokens.Add(word[..2].ToString()); word = word[2..]; continue; }
                if (Opening.Contains(word[0]) && !(IsApostrophe(word[0]) && IsClitic(word[1..])))
                {
                    tokens.Add(word[..1].ToString());
                    word = word[1..];
                    continue;
                }
                break;
            }

            // Closing marks, collected right to left.
            trailing.Clear();
            while (word.Length > 0)
            {
                if (word.EndsWith("...")) { trailing.Add("..."); word = word[..^3]; continue; }
                if (word.EndsWith("''")) { trailing.Add("''"); word = word[..^2]; continue; }
                char last = word[^1];
                if (Closing.Contains(last)) { trailing.Add(last.ToString()); word = word[..^1]; continue; }
                if (last == '.' && word.Length > 1 && SplitsPeriod(word[..^1], lastWord)) { trailing.Add("."); word = word[..^1]; continue; }
                break;
            }

            // Clitics.
            if (word.Length > 0)
            {
                int cut = CliticStart(word);
                if (cut > 0)
                {
                    tokens.Add(word[..cut].ToString());
                    tokens.Add(word[cut..].ToString());
                }
                else tokens.Add(word.ToString());
            }
            for (int i = trailing.Count - 1; i >= 0; i--) tokens.Add(trailing[i]);
        }
        return tokens;
    }

    private static bool IsApostrophe(char c) => c is '\'' or '’';

    /// <summary>Whether <paramref name="rest"/> is one of s, m, d, ll, re, ve (the part after a clitic's apostrophe).</summary>
    private static bool IsClitic(ReadOnlySpan<char> rest)
    {
        foreach (var clitic in Clitics)
            if (rest.Equals(clitic, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    /// <summary>Whether the period after <paramref name="stem"/> is a token of its own (see the class remarks).</summary>
    private static bool SplitsPeriod(ReadOnlySpan<char> stem, bool lastWord)
    {
        if (stem.Contains('.') && IsLettersAndPeriods(stem)) return false;
        if (lastWord) return true;
        if (stem.Length == 1 && char.IsLetter(stem[0])) return false;
        return !abbreviations.GetAlternateLookup<ReadOnlySpan<char>>().Contains(stem);
    }

    private static bool IsLettersAndPeriods(ReadOnlySpan<char> stem)
    {
        foreach (char c in stem)
            if (c != '.' && !char.IsLetter(c)) return false;
        return true;
    }

    /// <summary>Where a clitic starts in <paramref name="word"/> (0: none).</summary>
    private static int CliticStart(ReadOnlySpan<char> word)
    {
        if (word.Length > 3 && IsApostrophe(word[^2]) && (word[^1] is 't' or 'T') && (word[^3] is 'n' or 'N')) return word.Length - 3;
        foreach (var clitic in Clitics)
        {
            int start = word.Length - clitic.Length - 1;
            if (start > 0 && IsApostrophe(word[start]) && word[(start + 1)..].Equals(clitic, StringComparison.OrdinalIgnoreCase)) return start;
        }
        return 0;
    }
}
