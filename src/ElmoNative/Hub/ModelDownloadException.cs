namespace ElmoNative.Hub;

/// <summary>
/// A download failed. The message is one line naming the URL; for network failures (offline, refused, timed out,
/// connection cut) it also names the folder and the file names to put there by hand.
/// </summary>
public sealed class ModelDownloadException : IOException
{
    /// <summary>Creates the exception.</summary>
    public ModelDownloadException(string message, Uri url, Exception? inner = null) : base(message, inner) => Url = url;

    /// <summary>The URL whose download failed.</summary>
    public Uri Url { get; }

    /// <summary>The bytes received are wrong (not merely incomplete): the partial file is deleted, not kept for resuming.</summary>
    internal bool DiscardsDownload { get; set; }
}
