namespace ElmoNative.Hub;

/// <summary>One file of a published model.</summary>
/// <param name="FileName">Its name in the model's cache folder (by default the last segment of <paramref name="Url"/>).</param>
/// <param name="Url">Where it is downloaded from.</param>
/// <param name="Size">Its length in bytes where a source states it, else null (then the server's Content-Length is checked).</param>
/// <param name="Sha256">Its SHA-256 digest (64 lowercase hex digits) where a source states it, else null (then the digest
/// of the first download is recorded beside the file and later checks compare against it).</param>
public sealed record ModelFileInfo(string FileName, Uri Url, long? Size, string? Sha256);
