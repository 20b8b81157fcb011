using System.Security.Cryptography;

namespace ElmoNative.Tests;

/// <summary>
/// Every combination of <c>elmo embed</c>'s output options (layers x pooling x statefulness x layout, 54 in all) on one
/// input, and a SHA-256 over the bytes of the files they give, in a fixed order: the CLI and the library must give the
/// bytes <c>elmo embed</c> gave before the embed loop moved into the library (pinned in <see cref="EmbeddingFileTests"/>).
/// </summary>
public static class EmbeddingFileCombinations
{
    /// <summary>One combination, as <c>elmo embed</c>'s option values.</summary>
    public sealed record Combination(string Layers, string? Pool, bool Stateful, string? LayoutFlag)
    {
        /// <summary>The options that say it (with --batch-size 4: batches of 4 lines, the last one short: 30 lines).</summary>
        public string[] Arguments() =>
            ["--layers", Layers, .. Pool is null ? Array.Empty<string>() : ["--pool", Pool], .. Stateful ? ["--stateful"] : Array.Empty<string>(),
             .. LayoutFlag is null ? Array.Empty<string>() : [LayoutFlag], "--batch-size", "4"];

        public override string ToString() => string.Join(' ', Arguments());
    }

    public static IReadOnlyList<Combination> All { get; } =
    [
        .. from layers in new[] { "all", "top", "average" }
           from pool in new[] { null, "mean", "max" }
           from stateful in new[] { false, true }
           from layout in new[] { null, "--forget-sentences", "--use-sentence-keys" }
           select new Combination(layers, pool, stateful, layout),
    ];

    /// <summary>
    /// The input: the fixture sentences that can be HDF5 names, distinct (as sentence keys need), with surrounding whitespace, a tab, a CRLF
    /// line end and a last line without a newline, plus one more sentence.
    /// </summary>
    public static string Input()
    {
        var lines = Fixtures.Sentences(Fixtures.AllenNlp("sentences.json")).SelectMany(l => l).Select(s => string.Join(' ', s)).Where(s => !s.Contains('/')).Distinct().ToList();
        lines[0] = "  " + lines[0] + " \t";
        lines[1] = lines[1].Replace(" ", "\t ", StringComparison.Ordinal) + "\r";
        lines.Add("one more sentence .");
        return string.Join('\n', lines);
    }

    /// <summary>SHA-256 of the files that <paramref name="write"/> makes for each combination, in order, as hex.</summary>
    public static string Hash(string folder, Action<Combination, string> write)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        for (int i = 0; i < All.Count; i++)
        {
            string output = Path.Combine(folder, $"combination-{i}.hdf5");
            write(All[i], output);
            sha.AppendData(File.ReadAllBytes(output));
            File.Delete(output);
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }
}
