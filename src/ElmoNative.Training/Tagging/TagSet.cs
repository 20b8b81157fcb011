namespace ElmoNative.Training.Tagging;

/// <summary>The tags a tagger predicts, each with its class index (its position in <see cref="Tags"/>).</summary>
public sealed class TagSet
{
    private readonly Dictionary<string, int> index;

    /// <summary>A tag set of <paramref name="tags"/>, in that order (no repeats).</summary>
    public TagSet(IEnumerable<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        Tags = tags.ToArray();
        index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < Tags.Count; i++)
            if (!index.TryAdd(Tags[i], i)) throw new ArgumentException($"tag '{Tags[i]}' is listed twice", nameof(tags));
        if (Tags.Count < 2) throw new ArgumentException("a tag set needs at least two tags", nameof(tags));
    }

    /// <summary>The tags, by class index.</summary>
    public IReadOnlyList<string> Tags { get; }

    /// <summary>Number of tags.</summary>
    public int Count => Tags.Count;

    /// <summary>The class index of <paramref name="tag"/>, or -1 if the set does not hold it.</summary>
    public int IndexOf(string tag) => index.TryGetValue(tag, out int i) ? i : -1;
}
