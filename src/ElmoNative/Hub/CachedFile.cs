using System.Collections.Concurrent;
using System.Security.Cryptography;
using ElmoNative.Checkpoints;

namespace ElmoNative.Hub;

/// <summary>What a file in the model cache is.</summary>
internal enum CachedFileState
{
    /// <summary>Not there.</summary>
    Missing,

    /// <summary>There, but of the wrong length or digest: to be downloaded again.</summary>
    Damaged,

    /// <summary>There and intact (as far as the registry and the recorded digest can tell).</summary>
    Complete,
}

/// <summary>
/// Checks of a cached file against its registry entry and its recorded digest (<c>NAME.sha256</c>, the
/// <c>sha256sum</c> format: the hex digest, two spaces, the file name).
/// </summary>
internal static class CachedFile
{
    /// <summary>Digests already computed in this process, by full path, valid while length and write time are unchanged.</summary>
    private static readonly ConcurrentDictionary<string, (long Length, DateTime WriteTime, string Digest)> Digests = new();

    /// <summary>The state of <paramref name="path"/> for the registry entry <paramref name="file"/>.</summary>
    public static CachedFileState Check(string path, ModelFileInfo file)
    {
        var info = new FileInfo(path);
        if (!info.Exists) return CachedFileState.Missing;
        if (file.Size is long size && info.Length != size) return CachedFileState.Damaged;
        string? recorded = ReadRecord(path);
        if (file.Sha256 is not null && recorded is not null && recorded != file.Sha256) return CachedFileState.Damaged;
        string? expected = file.Sha256 ?? recorded;
        if (expected is null) return CachedFileState.Complete; // put there by hand: nothing to compare with
        return DigestOf(path) == expected ? CachedFileState.Complete : CachedFileState.Damaged;
    }

    /// <summary>The lowercase hex SHA-256 of a file (memoized per length and write time).</summary>
    public static string DigestOf(string path)
    {
        var info = new FileInfo(path);
        string key = info.FullName;
        if (Digests.TryGetValue(key, out var known) && known.Length == info.Length && known.WriteTime == info.LastWriteTimeUtc)
            return known.Digest;
        string digest;
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan))
            digest = Convert.ToHexStringLower(SHA256.HashData(stream));
        Digests[key] = (info.Length, info.LastWriteTimeUtc, digest);
        return digest;
    }

    /// <summary>Remembers the digest of a file just written (valid while its length and write time stay).</summary>
    public static void Remember(string path, string digest)
    {
        var info = new FileInfo(path);
        Digests[info.FullName] = (info.Length, info.LastWriteTimeUtc, digest);
    }

    /// <summary>Path of the digest record of <paramref name="path"/>.</summary>
    public static string RecordPath(string path) => path + ModelCache.ChecksumSuffix;

    /// <summary>Writes the digest record (atomically).</summary>
    public static void WriteRecord(string path, string digest) =>
        AtomicFile.WriteAllText(RecordPath(path), $"{digest}  {Path.GetFileName(path)}\n");

    /// <summary>The recorded digest, or null when there is no readable record.</summary>
    public static string? ReadRecord(string path)
    {
        string record = RecordPath(path);
        if (!File.Exists(record)) return null;
        try
        {
            string text = File.ReadAllText(record).Trim();
            int space = text.IndexOf(' ');
            string digest = (space < 0 ? text : text[..space]).ToLowerInvariant();
            return digest.Length == 64 && digest.All(char.IsAsciiHexDigit) ? digest : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Deletes a file if it exists, ignoring failures (cleanup on an error path).</summary>
    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
