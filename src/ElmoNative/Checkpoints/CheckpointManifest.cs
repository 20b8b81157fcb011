using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ElmoNative.Checkpoints;

/// <summary>One file of a <see cref="CheckpointManifest"/>: its name in the folder, size in bytes and SHA-256 (lower-case hex).</summary>
/// <param name="Name">The file name (no directory part).</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Sha256">SHA-256 of the contents, 64 lower-case hex digits.</param>
public sealed record CheckpointManifestEntry(string Name, long Size, string Sha256);

/// <summary>
/// <c>manifest.json</c> of a checkpoint folder (docs/training.md, "Checkpoint manifest"): the size and SHA-256 of every
/// other file of the folder, written last, so that its presence says the folder is complete and its checksums say which
/// file changed since. The manifest carries a checksum of its own list (<c>manifest_sha256</c>): a change inside the
/// manifest is reported as a change of the manifest, not of the file it describes.
/// </summary>
public static class CheckpointManifest
{
    /// <summary>The file name in a checkpoint folder.</summary>
    public const string FileName = "manifest.json";

    /// <summary>The value of the manifest's <c>format</c> field.</summary>
    public const string Format = "elmonative-checkpoint-manifest/1";

    /// <summary>Largest manifest read (a manifest lists a handful of files).</summary>
    private const long MaxBytes = 1 << 20;

    private static readonly string EmptySha256 = Convert.ToHexStringLower(SHA256.HashData(ReadOnlySpan<byte>.Empty));

    /// <summary>Whether <paramref name="directory"/> holds a manifest.</summary>
    public static bool Exists(string directory) => File.Exists(Path.Combine(directory, FileName));

    /// <summary>
    /// Hashes every regular file of <paramref name="directory"/> but the manifest and writes <c>manifest.json</c> through a
    /// temporary file; call it after the last other file is written.
    /// </summary>
    public static void Write(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var entries = new List<CheckpointManifestEntry>();
        foreach (string path in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(path);
            if (name == FileName) continue;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
            entries.Add(new CheckpointManifestEntry(name, stream.Length, Convert.ToHexStringLower(SHA256.HashData(stream))));
        }
        var files = new JsonArray();
        foreach (var e in entries) files.Add(new JsonObject { ["name"] = e.Name, ["size"] = e.Size, ["sha256"] = e.Sha256 });
        var root = new JsonObject { ["format"] = Format, ["files"] = files, ["manifest_sha256"] = SelfChecksum(entries) };
        AtomicFile.WriteAllText(Path.Combine(directory, FileName), root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>
    /// Reads the manifest of <paramref name="directory"/>; a manifest that is not one, or whose own checksum does not match
    /// its list, is an <see cref="InvalidDataException"/> naming it.
    /// </summary>
    public static IReadOnlyList<CheckpointManifestEntry> Read(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        string path = Path.Combine(directory, FileName);
        byte[] bytes;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read);
            if (stream.Length > MaxBytes) throw new InvalidDataException($"{path}: not a checkpoint manifest ({stream.Length} bytes, more than {MaxBytes})");
            bytes = new byte[stream.Length];
            stream.ReadExactly(bytes);
        }
        catch (FileNotFoundException e)
        {
            throw new FileNotFoundException($"{path}: checkpoint manifest not found", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: cannot read the checkpoint manifest ({e.Message})", e);
        }
        var entries = new List<CheckpointManifestEntry>();
        string? declared;
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 8 });
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad(path, "not a JSON object");
            if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String || format.GetString() != Format)
                throw Bad(path, $"'format' is not \"{Format}\"");
            if (!root.TryGetProperty("files", out var files) || files.ValueKind != JsonValueKind.Array) throw Bad(path, "'files' is not a list");
            var names = new HashSet<string>(StringComparer.Ordinal);
            foreach (var file in files.EnumerateArray())
            {
                if (file.ValueKind != JsonValueKind.Object
                    || !file.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
                    || !file.TryGetProperty("size", out var size) || size.ValueKind != JsonValueKind.Number || !size.TryGetInt64(out long bytesLong) || bytesLong < 0
                    || !file.TryGetProperty("sha256", out var sha) || sha.ValueKind != JsonValueKind.String)
                    throw Bad(path, $"entry {entries.Count} of 'files' is not {{name, size, sha256}}");
                string n = name.GetString()!, h = sha.GetString()!;
                if (n.Length == 0 || n != Path.GetFileName(n) || n is "." or ".." || n == FileName || !names.Add(n))
                    throw Bad(path, $"entry {entries.Count} of 'files' has an invalid or repeated name");
                if (h.Length != 64 || !h.All(char.IsAsciiHexDigitLower)) throw Bad(path, $"entry {entries.Count} of 'files' has an invalid sha256");
                entries.Add(new CheckpointManifestEntry(n, bytesLong, h));
            }
            declared = root.TryGetProperty("manifest_sha256", out var self) && self.ValueKind == JsonValueKind.String ? self.GetString() : null;
        }
        catch (JsonException e)
        {
            throw Bad(path, $"not valid JSON: {e.Message.Split('\n')[0]}");
        }
        if (declared != SelfChecksum(entries))
            throw new InvalidDataException($"{path}: the checkpoint manifest has changed (its manifest_sha256 does not match its list of files)");
        return entries;
    }

    /// <summary>
    /// Checks every file the manifest of <paramref name="directory"/> lists: present, a regular file, of the listed size and
    /// SHA-256. The first difference is an <see cref="InvalidDataException"/> naming the file (a missing one a
    /// <see cref="FileNotFoundException"/>). Returns the entries.
    /// </summary>
    public static IReadOnlyList<CheckpointManifestEntry> Verify(string directory)
    {
        var entries = Read(directory);
        foreach (var entry in entries) VerifyEntry(directory, entry);
        return entries;
    }

    /// <summary>
    /// When <paramref name="directory"/> holds a manifest, checks the given files of it against it (each must be listed);
    /// without a manifest nothing is checked. For a model load of a checkpoint folder: only the files read are hashed.
    /// </summary>
    public static void VerifyIfPresent(string directory, params string[] paths)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(paths);
        if (!Exists(directory)) return;
        var entries = Read(directory).ToDictionary(e => e.Name, StringComparer.Ordinal);
        string folder = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar);
        foreach (string path in paths)
        {
            string full = Path.GetFullPath(path);
            if (!string.Equals(Path.GetDirectoryName(full), folder, StringComparison.Ordinal)) continue; // not in the folder
            string name = Path.GetFileName(full);
            if (!entries.TryGetValue(name, out var entry))
                throw new InvalidDataException($"{path}: not listed in {Path.Combine(directory, FileName)} (the file was added after the checkpoint was written)");
            VerifyEntry(directory, entry);
        }
    }

    private static void VerifyEntry(string directory, CheckpointManifestEntry entry)
    {
        string path = Path.Combine(directory, entry.Name);
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            if (Directory.Exists(path)) throw new InvalidDataException($"{path}: is a directory, but {FileName} lists a file");
            throw new FileNotFoundException($"{path}: missing (listed in {FileName})", path);
        }
        if (info.Length != entry.Size)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{path}: changed since the checkpoint was written ({info.Length} bytes, {FileName} says {entry.Size})"));
        string actual;
        if (entry.Size == 0)
        {
            actual = EmptySha256; // not opened: a FIFO or device of size 0 would block
        }
        else
        {
            try
            {
                using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
                actual = Convert.ToHexStringLower(SHA256.HashData(stream));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new InvalidDataException($"{path}: cannot read it to check it against {FileName} ({e.Message})", e);
            }
        }
        if (actual != entry.Sha256)
            throw new InvalidDataException($"{path}: changed since the checkpoint was written (its SHA-256 differs from {FileName})");
    }

    /// <summary>SHA-256 of the format and the list, one <c>name size sha256</c> line per file.</summary>
    private static string SelfChecksum(IEnumerable<CheckpointManifestEntry> entries)
    {
        var text = new StringBuilder(Format).Append('\n');
        foreach (var e in entries) text.Append(CultureInfo.InvariantCulture, $"{e.Name}\t{e.Size}\t{e.Sha256}\n");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static InvalidDataException Bad(string path, string what) => new($"{path}: not a valid checkpoint manifest ({what})");
}
