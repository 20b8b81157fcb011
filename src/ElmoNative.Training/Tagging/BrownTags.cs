using System.Reflection;

namespace ElmoNative.Training.Tagging;

/// <summary>
/// The Brown corpus tags and their conversions (docs/tagger.md, "Tag sets"). The inventory and the universal mapping come
/// from en-brown.map (Petrov, Das and McDonald 2012; the file's origin and license are in NOTICE).
/// </summary>
public static class BrownTags
{
    private static readonly string[] Suffixes = ["-TL", "-HL", "-NC"];
    private static readonly Lazy<IReadOnlyDictionary<string, string>> UniversalMap = new(LoadMap);
    private static readonly Lazy<IReadOnlyList<string>> BaseInventory = new(() =>
        UniversalMap.Value.Keys.Select(BaseTag).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray());

    /// <summary>The 12 universal tags, in the order of Petrov et al.</summary>
    public static IReadOnlyList<string> UniversalTags { get; } = ["VERB", "NOUN", "PRON", "ADJ", "ADV", "ADP", "CONJ", "DET", "NUM", "PRT", "X", "."];

    /// <summary>Every Brown base tag (232), sorted ordinally.</summary>
    public static IReadOnlyList<string> BaseTags => BaseInventory.Value;

    /// <summary>The full Brown tags the universal mapping knows (472, upper case, suffixes included).</summary>
    public static IReadOnlyCollection<string> FullTags => (IReadOnlyCollection<string>)UniversalMap.Value.Keys;

    /// <summary>
    /// The base tag of a corpus tag: upper case, every trailing <c>-TL</c>, <c>-HL</c>, <c>-NC</c> removed (<c>nn-tl-hl</c> ->
    /// <c>NN</c>); <c>+</c> compounds, <c>*</c> and <c>FW-</c> are part of the tag and stay.
    /// </summary>
    public static string BaseTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        string t = tag.ToUpperInvariant();
        bool stripped = true;
        while (stripped)
        {
            stripped = false;
            foreach (string suffix in Suffixes)
            {
                if (t.Length > suffix.Length && t.EndsWith(suffix, StringComparison.Ordinal))
                {
                    t = t[..^suffix.Length];
                    stripped = true;
                }
            }
        }
        return t;
    }

    /// <summary>The universal tag of a corpus tag (looked up whole, upper-cased, as en-brown.map lists it), or null if it is not a Brown tag.</summary>
    public static string? UniversalTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        return UniversalMap.Value.TryGetValue(tag.ToUpperInvariant(), out string? universal) ? universal : null;
    }

    /// <summary>The tag of <paramref name="tag"/> under <paramref name="scheme"/>, or null when the scheme has none for it.</summary>
    public static string? Convert(TagScheme scheme, string tag) => scheme switch
    {
        TagScheme.Brown => UniversalTag(tag) is null ? null : BaseTag(tag),
        TagScheme.Universal => UniversalTag(tag),
        TagScheme.AsWritten => tag,
        _ => throw new ArgumentOutOfRangeException(nameof(scheme)),
    };

    /// <summary>The fixed tag list of a scheme, or null for <see cref="TagScheme.AsWritten"/> (taken from the training data).</summary>
    public static IReadOnlyList<string>? Inventory(TagScheme scheme) => scheme switch
    {
        TagScheme.Brown => BaseTags,
        TagScheme.Universal => UniversalTags,
        _ => null,
    };

    private static Dictionary<string, string> LoadMap()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("ElmoNative.Training.Tagging.en-brown.map")
            ?? throw new InvalidOperationException("the embedded resource en-brown.map is missing");
        using var reader = new StreamReader(stream);
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
        {
            if (line.Length == 0) continue;
            string[] fields = line.Split('\t');
            if (fields.Length != 2) throw new InvalidDataException($"en-brown.map: bad line '{line}'");
            map[fields[0]] = fields[1];
        }
        return map;
    }
}
