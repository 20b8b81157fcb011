using System.Globalization;
using ElmoNative.Checkpoints;

namespace ElmoNative.Output;

/// <summary>One shard of an <see cref="EmbeddingShardSet"/>: its manifest, where it was found, and its HDF5 file (null when empty).</summary>
/// <param name="Manifest">The manifest.</param>
/// <param name="ManifestPath">The manifest's path.</param>
/// <param name="FilePath">The shard's HDF5 file, or null for a shard without lines.</param>
public sealed record ShardFiles(ShardManifest Manifest, string ManifestPath, string? FilePath);

/// <summary>
/// The shards of one sharded <c>elmo embed</c>, checked, and their merge (<c>elmo merge</c>; docs/scale-out.md): the
/// manifests must agree (the same input, model, options and version) and their byte and line ranges cover the input
/// exactly once; each shard's file must be there with the size its manifest gives; where the input is readable at its
/// recorded path, each shard's byte range is hashed again and must match. <see cref="WriteTo"/> then writes the file one
/// <c>elmo embed</c> of the whole input writes, bit for bit: the datasets are copied in line order through
/// <see cref="EmbeddingFileWriter"/>, whose headers, names, <c>sentence_to_index</c> and group index are those of a
/// single run, streaming with one buffer of memory.
/// </summary>
public sealed class EmbeddingShardSet
{
    private const int CopyBufferSize = 1 << 20;

    private EmbeddingShardSet(IReadOnlyList<ShardFiles> shards, bool inputVerified)
    {
        Shards = shards;
        InputVerified = inputVerified;
    }

    /// <summary>The shards in input order (empty ones included).</summary>
    public IReadOnlyList<ShardFiles> Shards { get; }

    /// <summary>Whether the input file was found at its recorded path and every shard's byte range hashed again and matched.</summary>
    public bool InputVerified { get; }

    /// <summary>The lines (datasets) of the whole input.</summary>
    public long Lines => Shards.Sum(s => s.Manifest.Lines);

    /// <summary>The tokens of the whole input.</summary>
    public long Tokens => Shards.Sum(s => s.Manifest.Tokens);

    /// <summary>The bytes of the shards' files.</summary>
    public long FileBytes => Shards.Sum(s => s.Manifest.FileSize);

    /// <summary>
    /// Reads and checks the shards named by <paramref name="paths"/>: manifests (<c>*.manifest.json</c>), their HDF5
    /// files (the manifest beside each is read), or folders (every manifest in them). A missing, duplicated,
    /// overlapping or foreign shard, or a file that does not match its manifest, is an <see cref="InvalidDataException"/>
    /// (or <see cref="FileNotFoundException"/>) of one line naming it.
    /// </summary>
    public static EmbeddingShardSet Open(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var manifests = new List<string>();
        foreach (string path in paths)
        {
            if (Directory.Exists(path))
            {
                var found = Directory.GetFiles(path, "*" + ShardManifest.Suffix).Order(StringComparer.Ordinal).ToArray();
                if (found.Length == 0) throw new FileNotFoundException($"{path}: no shard manifest (*{ShardManifest.Suffix}) in this folder", path);
                manifests.AddRange(found);
            }
            else if (path.EndsWith(ShardManifest.Suffix, StringComparison.Ordinal))
            {
                manifests.Add(path);
            }
            else if (path.EndsWith(".hdf5", StringComparison.Ordinal))
            {
                string manifest = path[..^".hdf5".Length] + ShardManifest.Suffix;
                if (!File.Exists(manifest)) throw new FileNotFoundException($"{path}: no manifest beside it ({Path.GetFileName(manifest)}): the shard has not finished", path);
                manifests.Add(manifest);
            }
            else
            {
                throw new FileNotFoundException(File.Exists(path) ? $"{path}: neither a shard's .hdf5 file nor its {ShardManifest.Suffix}" : $"{path}: shard not found", path);
            }
        }
        if (manifests.Count == 0) throw new ArgumentException("no shard given", nameof(paths));

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        var shards = new List<ShardFiles>();
        foreach (string path in manifests)
        {
            string full = Path.GetFullPath(path);
            if (!seen.TryAdd(full, path)) throw new InvalidDataException($"{path}: given twice (as {seen[full]} too)");
            var manifest = ShardManifest.Load(path);
            string? file = manifest.File is null ? null : Path.Combine(Path.GetDirectoryName(full)!, manifest.File);
            shards.Add(new ShardFiles(manifest, path, file));
        }

        var first = shards[0];
        foreach (var s in shards.Skip(1))
        {
            if (first.Manifest.Difference(s.Manifest) is { } difference)
                throw new InvalidDataException($"{s.ManifestPath}: a foreign shard: {difference} (as in {first.ManifestPath})");
        }
        foreach (var s in shards)
        {
            if (s.FilePath is null) continue;
            var info = new FileInfo(s.FilePath);
            if (!info.Exists) throw new FileNotFoundException($"{s.FilePath}: the file of shard {s.ManifestPath} is missing", s.FilePath);
            if (info.Length != s.Manifest.FileSize)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{s.FilePath}: {info.Length} bytes, not the {s.Manifest.FileSize} its manifest {s.ManifestPath} gives"));
        }

        var ordered = shards.OrderBy(s => s.Manifest.ByteStart).ThenBy(s => s.Manifest.ByteEnd).ToList();
        CheckCoverage(ordered);
        bool verified = VerifyInput(ordered);
        if (ordered.All(s => s.Manifest.Lines == 0)) throw new InvalidDataException($"{first.Manifest.InputPath}: input is empty (no sentences)");
        return new EmbeddingShardSet(ordered, verified);
    }

    /// <summary>The shards' byte ranges, in order, must tile 0 .. the input's size, their lines following on.</summary>
    private static void CheckCoverage(List<ShardFiles> ordered)
    {
        var c = CultureInfo.InvariantCulture;
        long size = ordered[0].Manifest.InputSize;
        long nextByte = 0, nextLine = 0;
        ShardFiles? previous = null;
        foreach (var s in ordered)
        {
            var m = s.Manifest;
            if (m.ByteStart < 0 || m.ByteEnd < m.ByteStart || m.ByteEnd > size)
                throw new InvalidDataException(string.Create(c, $"{s.ManifestPath}: bytes {m.ByteStart}-{m.ByteEnd} do not lie in the input's {size}"));
            if (previous is { } p)
            {
                var pm = p.Manifest;
                bool same = pm.ByteStart == m.ByteStart && pm.ByteEnd == m.ByteEnd && (m.ByteStart != m.ByteEnd || (pm.Shard == m.Shard && pm.Shards == m.Shards));
                if (same) throw new InvalidDataException(string.Create(c, $"{s.ManifestPath}: the same shard as {p.ManifestPath} (bytes {m.ByteStart}-{m.ByteEnd}, {EmbeddingShard.LineRange(m)}); give it once"));
            }
            if (m.ByteStart < nextByte)
                throw new InvalidDataException(string.Create(c, $"{s.ManifestPath}: bytes {m.ByteStart}-{m.ByteEnd} overlap those of {previous!.ManifestPath} (up to {nextByte}); give shards of one run"));
            if (m.ByteStart > nextByte)
                throw new InvalidDataException(string.Create(c, $"missing shard: bytes {nextByte}-{m.ByteStart} of {m.InputPath} (from line {nextLine + 1}) are in no shard given{Between(previous, s)}"));
            if (m.FirstLine != nextLine)
                throw new InvalidDataException(string.Create(c, $"{s.ManifestPath}: its first line is {m.FirstLine + 1}, but the shards before it end at line {nextLine}"));
            nextByte = m.ByteEnd;
            nextLine += m.Lines;
            previous = s;
        }
        if (nextByte != size)
            throw new InvalidDataException(string.Create(c, $"missing shard: bytes {nextByte}-{size} of {ordered[0].Manifest.InputPath} (from line {nextLine + 1}) are in no shard given{Between(previous, null)}"));
    }

    /// <summary>Where a gap is, for its message: which shard of N it should have been, when the neighbours say.</summary>
    private static string Between(ShardFiles? before, ShardFiles? after)
    {
        int? n = (before ?? after)?.Manifest.Shards;
        int? expected = before is null ? 0 : before.Manifest.Shard + 1;
        if (after is not null && before is not null && before.Manifest.Shards == after.Manifest.Shards && after.Manifest.Shard == expected + 1
            || after is null && before is not null && expected < n
            || before is null && after is not null && after.Manifest.Shard > 0)
            return string.Create(CultureInfo.InvariantCulture, $" ({ShardManifest.BaseName(expected!.Value, n!.Value)}{ShardManifest.Suffix} is missing)");
        return before is null ? " (before the first shard)" : $" (after {before.ManifestPath})";
    }

    /// <summary>Hashes each shard's byte range of the input again when the input is at its recorded path; false when it is not there.</summary>
    private static bool VerifyInput(List<ShardFiles> ordered)
    {
        var m0 = ordered[0].Manifest;
        var info = new FileInfo(m0.InputPath);
        if (!info.Exists) return false;
        if (info.Length != m0.InputSize)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{m0.InputPath}: {info.Length} bytes now, {m0.InputSize} when the shards read it: the input changed"));
        foreach (var s in ordered)
        {
            var m = s.Manifest;
            var range = new InputShard(m.Shard, m.Shards, m.InputSize, m.ByteStart, m.ByteEnd, m.FirstLine);
            if (range.Checksum(m.InputPath) != m.RangeSha256)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{s.ManifestPath}: bytes {m.ByteStart}-{m.ByteEnd} of {m.InputPath} are not those the shard read (their SHA-256 differs): the input changed"));
        }
        return true;
    }

    /// <summary>
    /// Writes the merged file to <paramref name="path"/> (created or overwritten; write it to a temporary name, as
    /// <see cref="Merge"/> does). <paramref name="progress"/> gets the shard files' bytes read so far after each shard.
    /// </summary>
    public EmbeddingFileProgress WriteTo(string path, IProgress<long>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        var layout = LayoutOf(Shards[0].Manifest);
        using var writer = new EmbeddingFileWriter(path, layout);
        var buffer = new byte[CopyBufferSize];
        Span<long> shape = stackalloc long[Hdf5StreamWriter.MaxRank];
        long bytes = 0;
        foreach (var shard in Shards)
        {
            if (shard.FilePath is null) continue;
            using var reader = new EmbeddingShardReader(shard.FilePath);
            for (long i = 0; i < shard.Manifest.Lines; i++)
            {
                if ((i & 1023) == 0) cancellation.ThrowIfCancellationRequested();
                int rank = reader.NextDataset(shape);
                writer.BeginCopiedDataset(shape[..rank]);
                reader.CopyValues(writer, buffer);
            }
            reader.End(layout == EmbeddingFileLayout.LineNumbersWithSentenceToIndex ? writer : null);
            bytes += shard.Manifest.FileSize;
            progress?.Report(bytes);
        }
        writer.Finish();
        return new EmbeddingFileProgress(writer.Count, Tokens);
    }

    /// <summary>Checks the shards <paramref name="shardPaths"/> name and writes their merge to <paramref name="outputPath"/> whole or not at all.</summary>
    public static EmbeddingFileProgress Merge(IEnumerable<string> shardPaths, string outputPath, CancellationToken cancellation = default)
    {
        var set = Open(shardPaths);
        var result = new EmbeddingFileProgress();
        AtomicFile.Write(outputPath, temp => result = set.WriteTo(temp, cancellation: cancellation));
        return result;
    }

    private static EmbeddingFileLayout LayoutOf(ShardManifest manifest)
    {
        foreach (string part in manifest.Options.Split(' '))
        {
            if (part.StartsWith("layout=", StringComparison.Ordinal) && Enum.TryParse<EmbeddingFileLayout>(part["layout=".Length..], out var layout)
                && layout != EmbeddingFileLayout.SentenceKeys)
                return layout;
        }
        throw new InvalidDataException($"{manifest.InputPath}: the shards' options name no layout of numbered datasets ('{manifest.Options}')");
    }
}
