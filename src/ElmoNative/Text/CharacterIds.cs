using System.Text;

namespace ElmoNative.Text;

/// <summary>
/// Maps a token to its fixed-width row of character ids (docs/model.md section 2), exactly as bilm-tf's
/// UnicodeCharsVocabulary and AllenNLP's ELMoCharacterMapper do:
/// the token's UTF-8 bytes cut to the first W - 2 (even mid-character), framed by begin/end-of-word marks,
/// padded; then every id shifted by +1 so that id 0 can mean "no token" (padding rows of a batch).
/// </summary>
public static class CharacterIds
{
    /// <summary>Id (before the +1 shift) of the begin-of-sentence character, used only by &lt;S&gt;.</summary>
    public const int BeginOfSentenceChar = 256;

    /// <summary>Id (before the +1 shift) of the end-of-sentence character, used only by &lt;/S&gt;.</summary>
    public const int EndOfSentenceChar = 257;

    /// <summary>Id (before the +1 shift) of the begin-of-word mark.</summary>
    public const int BeginOfWordChar = 258;

    /// <summary>Id (before the +1 shift) of the end-of-word mark.</summary>
    public const int EndOfWordChar = 259;

    /// <summary>Id (before the +1 shift) of the padding character inside a token.</summary>
    public const int PaddingChar = 260;

    /// <summary>The sentence-start token added before every sentence.</summary>
    public const string BeginOfSentence = "<S>";

    /// <summary>The sentence-end token added after every sentence.</summary>
    public const string EndOfSentence = "</S>";

    /// <summary>
    /// Writes the W = <paramref name="ids"/>.Length shifted ids of <paramref name="token"/>.
    /// The literal tokens &lt;S&gt; and &lt;/S&gt; get the sentence boundary rows.
    /// </summary>
    public static void Map(string token, Span<int> ids)
    {
        int width = ids.Length;
        ids.Fill(PaddingChar + 1);
        ids[0] = BeginOfWordChar + 1;
        if (token == BeginOfSentence)
        {
            ids[1] = BeginOfSentenceChar + 1;
            ids[2] = EndOfWordChar + 1;
            return;
        }
        if (token == EndOfSentence)
        {
            ids[1] = EndOfSentenceChar + 1;
            ids[2] = EndOfWordChar + 1;
            return;
        }

        // UTF-8 bytes, cut to W - 2 so that the end-of-word mark fits. W - 1 UTF-16 chars always give at least
        // W - 2 bytes, so only that prefix is encoded.
        int maxBytes = width - 2;
        var prefix = token.AsSpan(0, Math.Min(token.Length, maxBytes + 1));
        int capacity = Encoding.UTF8.GetMaxByteCount(prefix.Length);
        Span<byte> bytes = capacity <= 1024 ? stackalloc byte[capacity] : new byte[capacity];
        int count = Math.Min(Encoding.UTF8.GetBytes(prefix, bytes), maxBytes);
        for (int k = 0; k < count; k++) ids[1 + k] = bytes[k] + 1;
        ids[1 + count] = EndOfWordChar + 1;
    }

    /// <summary>The shifted ids of <paramref name="token"/> as a new array of <paramref name="width"/> values.</summary>
    public static int[] Map(string token, int width)
    {
        var ids = new int[width];
        Map(token, ids);
        return ids;
    }
}
