namespace ElmoNative.Training.Data;

/// <summary>
/// Expands a file pattern as bilm-tf's <c>glob.glob</c> does for <c>--train_prefix</c>: <c>*</c> matches any run of
/// characters and <c>?</c> one character, within one path segment (directories may hold wildcards too). A pattern
/// without wildcards names one file. Matches are returned sorted (ordinal), files only, so the order is reproducible.
/// </summary>
public static class FileGlob
{
    /// <summary>Whether <paramref name="pattern"/> holds a wildcard.</summary>
    public static bool HasWildcards(string pattern) => pattern.AsSpan().IndexOfAny('*', '?') >= 0;

    /// <summary>
    /// The files <paramref name="pattern"/> matches. A pattern without wildcards must name an existing file; one with
    /// wildcards must match at least one. Otherwise a <see cref="FileNotFoundException"/> naming the pattern.
    /// </summary>
    public static IReadOnlyList<string> Expand(string pattern, string what = "file")
    {
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        if (!HasWildcards(pattern))
        {
            if (Directory.Exists(pattern)) throw new FileNotFoundException($"{pattern}: {what} is a directory, not a file", pattern);
            if (!File.Exists(pattern)) throw new FileNotFoundException($"{pattern}: {what} not found", pattern);
            return [pattern];
        }
        string root = Path.IsPathRooted(pattern) ? Path.GetPathRoot(pattern)! : "";
        string[] segments = pattern[root.Length..].Split(['/', Path.DirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        var current = new List<string> { root };
        for (int s = 0; s < segments.Length; s++)
        {
            bool last = s == segments.Length - 1;
            string segment = segments[s];
            var next = new List<string>();
            foreach (string dir in current)
            {
                string listed = dir.Length == 0 ? "." : dir;
                if (!HasWildcards(segment))
                {
                    string path = dir.Length == 0 ? segment : Path.Combine(dir, segment);
                    if (last ? File.Exists(path) : Directory.Exists(path)) next.Add(path);
                    continue;
                }
                if (!Directory.Exists(listed)) continue;
                var options = new EnumerationOptions { MatchType = MatchType.Simple, IgnoreInaccessible = true, AttributesToSkip = FileAttributes.None, MatchCasing = MatchCasing.CaseSensitive };
                var names = last ? Directory.EnumerateFiles(listed, segment, options) : Directory.EnumerateDirectories(listed, segment, options);
                foreach (string found in names)
                {
                    string name = Path.GetFileName(found);
                    if (name.StartsWith('.') && !segment.StartsWith('.')) continue; // like glob: hidden names need an explicit dot
                    next.Add(dir.Length == 0 ? name : Path.Combine(dir, name));
                }
            }
            current = next;
        }
        if (current.Count == 0) throw new FileNotFoundException($"{pattern}: no {what} matches the pattern", pattern);
        current.Sort(StringComparer.Ordinal);
        return current;
    }

    /// <summary>The files of several patterns, in the order given, each pattern's matches sorted; a file named twice is an error.</summary>
    public static IReadOnlyList<string> ExpandAll(IEnumerable<string> patterns, string what = "file")
    {
        var files = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string pattern in patterns)
        {
            foreach (string file in Expand(pattern, what))
            {
                if (!seen.Add(Path.GetFullPath(file))) throw new InvalidDataException($"{file}: {what} given twice");
                files.Add(file);
            }
        }
        return files;
    }
}
