using ElmoNative.Training.Data;

namespace ElmoNative.Training.Tagging;

/// <summary>
/// Reads tagged text: UTF-8, one sentence per line, tokens separated by whitespace, each token <c>word/TAG</c> (the tag is
/// what follows the last <c>/</c>, so a word may hold slashes). Blank lines are skipped. A token with no tag, or a tag the
/// scheme does not know, is an <see cref="InvalidDataException"/> naming the file and line (docs/tagger.md).
/// </summary>
public static class TaggedText
{
    /// <summary>Reads <paramref name="path"/>, converting each tag with <paramref name="scheme"/>.</summary>
    public static IReadOnlyList<TaggedSentence> Read(string path, TagScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: is a directory, not a tagged text file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: file not found", path);
        var sentences = new List<TaggedSentence>();
        int lineNumber = 0;
        using var reader = new StreamReader(path, new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true));
        while (true)
        {
            string? line;
            try
            {
                line = reader.ReadLine();
            }
            catch (System.Text.DecoderFallbackException)
            {
                throw new InvalidDataException($"{path}:{lineNumber + 1}: not valid UTF-8");
            }
            if (line is null) break;
            lineNumber++;
            if (Tokenizer.IsBlank(line)) continue;
            string[] tokens = Tokenizer.Split(line);
            var words = new string[tokens.Length];
            var tags = new string[tokens.Length];
            for (int i = 0; i < tokens.Length; i++)
            {
                string token = tokens[i];
                int slash = token.LastIndexOf('/');
                if (slash <= 0 || slash == token.Length - 1)
                    throw new InvalidDataException($"{path}:{lineNumber}: token {i + 1} '{token}' has no tag (expected word/TAG)");
                words[i] = token[..slash];
                string raw = token[(slash + 1)..];
                tags[i] = BrownTags.Convert(scheme, raw)
                    ?? throw new InvalidDataException($"{path}:{lineNumber}: token {i + 1} '{token}': '{raw}' is not a Brown tag (tag set {SchemeName(scheme)})");
            }
            sentences.Add(new TaggedSentence(words, tags, lineNumber));
        }
        return sentences;
    }

    /// <summary>The name of a scheme as the command line writes it (brown, universal, as-written).</summary>
    public static string SchemeName(TagScheme scheme) => scheme switch
    {
        TagScheme.Brown => "brown",
        TagScheme.Universal => "universal",
        _ => "as-written",
    };

    /// <summary>The scheme named <paramref name="name"/> (brown, universal, as-written), or false.</summary>
    public static bool TryParseScheme(string name, out TagScheme scheme)
    {
        switch (name)
        {
            case "brown": scheme = TagScheme.Brown; return true;
            case "universal": scheme = TagScheme.Universal; return true;
            case "as-written": scheme = TagScheme.AsWritten; return true;
            default: scheme = default; return false;
        }
    }
}
