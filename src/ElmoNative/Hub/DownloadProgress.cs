namespace ElmoNative.Hub;

/// <summary>How far the download of one file has come.</summary>
/// <param name="FileName">The file's name in the cache folder.</param>
/// <param name="BytesDone">Bytes on disk so far (a resumed download starts at what the earlier attempt kept).</param>
/// <param name="BytesTotal">The file's length when the registry or the server says it, else null.</param>
public readonly record struct DownloadProgress(string FileName, long BytesDone, long? BytesTotal);
