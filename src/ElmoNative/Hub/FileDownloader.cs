using System.Net;
using System.Net.Http.Headers;

namespace ElmoNative.Hub;

/// <summary>
/// Downloads the files of one model into its cache folder: streams to <c>NAME.partial</c>, resumes it with an HTTP Range
/// request, checks length and SHA-256, then renames (docs/models.md, "How a download works").
/// </summary>
internal sealed class FileDownloader(PublishedModel model, string folder, TimeSpan timeout, IProgress<DownloadProgress>? progress)
{
    private const int BufferSize = 1 << 16;
    private const long ProgressStep = 1 << 20;

    /// <summary>One client for the process (connections pooled and renewed; timeouts are per read, see <see cref="ReadAsync"/>).</summary>
    private static readonly HttpClient Http = CreateClient();

    /// <summary>Makes <paramref name="file"/> complete in the folder (no request when it already is).</summary>
    public async Task DownloadAsync(ModelFileInfo file, CancellationToken cancellationToken)
    {
        string target = Path.Combine(folder, file.FileName);
        switch (CachedFile.Check(target, file))
        {
            case CachedFileState.Complete:
                // Put there by hand (or recorded earlier): record its digest so later changes are noticed.
                if (CachedFile.ReadRecord(target) is null) CachedFile.WriteRecord(target, CachedFile.DigestOf(target));
                long length = new FileInfo(target).Length;
                progress?.Report(new DownloadProgress(file.FileName, length, length));
                return;
            case CachedFileState.Damaged:
                CachedFile.TryDelete(target);
                CachedFile.TryDelete(CachedFile.RecordPath(target));
                break;
        }

        string partial = target + ModelCache.PartialSuffix;
        await FetchToPartialAsync(file, partial, cancellationToken).ConfigureAwait(false);

        string digest = CachedFile.DigestOf(partial);
        if (file.Sha256 is not null && digest != file.Sha256)
        {
            CachedFile.TryDelete(partial);
            throw new ModelDownloadException(
                $"{file.Url}: SHA-256 mismatch (expected {file.Sha256}, got {digest}); the download was deleted", file.Url);
        }
        File.Move(partial, target, overwrite: true);
        CachedFile.Remember(target, digest); // the rename keeps length and write time: no second hashing
        CachedFile.WriteRecord(target, digest);
    }

    /// <summary>
    /// Brings <paramref name="partial"/> to the whole file, resuming from its current length. Kept on network failures
    /// and cancellation (for the next call to resume) unless empty; deleted when its bytes are known to be wrong.
    /// </summary>
    private async Task FetchToPartialAsync(ModelFileInfo file, string partial, CancellationToken cancellationToken)
    {
        FileStream stream;
        try
        {
            // FileShare.None: a second process downloading the same file fails here instead of writing into it. Unbuffered:
            // what was received is on disk, so a cancelled or broken download resumes from there.
            stream = new FileStream(partial, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, bufferSize: 0, useAsync: true);
        }
        catch (IOException e)
        {
            throw new IOException($"{partial}: cannot open the download file (is another download of it running?): {e.Message}", e);
        }
        bool discard = false;
        try
        {
            long offset = stream.Length;
            if (file.Size is long size && offset > size)
            {
                stream.SetLength(0);
                offset = 0;
            }
            if (file.Size is long whole && offset == whole && whole > 0) return; // an earlier run got every byte
            await FetchAsync(file, stream, offset, cancellationToken).ConfigureAwait(false);
        }
        catch (ModelDownloadException e) when (e.DiscardsDownload)
        {
            discard = true;
            throw;
        }
        finally
        {
            discard |= stream.Length == 0;
            await stream.DisposeAsync().ConfigureAwait(false);
            if (discard) CachedFile.TryDelete(partial);
        }
    }

    /// <summary>
    /// Sends the request (with <c>Range: bytes=offset-</c> when resuming) and writes the body at the right place:
    /// 206 appends, 200 (a server that ignores Range) starts again at 0.
    /// </summary>
    private async Task FetchAsync(ModelFileInfo file, FileStream stream, long offset, CancellationToken cancellationToken)
    {
        for (int attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, file.Url);
            if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
            using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            idle.CancelAfter(timeout);

            HttpResponseMessage response;
            try
            {
                response = await Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, idle.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
            {
                throw NetworkFailure(file, $"no answer within {Seconds(timeout)} (timeout)", e);
            }
            catch (HttpRequestException e)
            {
                throw NetworkFailure(file, $"cannot connect ({OneLine(e.Message)})", e);
            }

            using (response)
            {
                long? total;
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && offset > 0)
                {
                    // The kept part is as long as the file, or the file changed: check or start again.
                    if (response.Content.Headers.ContentRange?.Length == offset) return;
                    if (attempt > 0) throw Failure(file, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase} for a download from byte 0");
                    stream.SetLength(0);
                    offset = 0;
                    continue;
                }
                if (!response.IsSuccessStatusCode)
                    throw Failure(file, $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                if (response.StatusCode == HttpStatusCode.PartialContent)
                {
                    var range = response.Content.Headers.ContentRange;
                    if (offset == 0 || range?.From != offset)
                    {
                        // A range we did not ask for: start again without one.
                        if (attempt > 0) throw Failure(file, $"the server sent bytes {range?.From}- for a request from byte {offset}");
                        stream.SetLength(0);
                        offset = 0;
                        continue;
                    }
                    total = range.Length;
                }
                else
                {
                    if (offset > 0) // the server ignored Range and sends the whole file
                    {
                        stream.SetLength(0);
                        offset = 0;
                    }
                    total = response.Content.Headers.ContentLength;
                }
                if (file.Size is long expected && total is long announced && announced != expected)
                    throw Discarding(Failure(file, $"the server has {announced:N0} bytes, the registry says {expected:N0}"));
                total ??= file.Size;

                stream.Position = offset;
                offset = await CopyBodyAsync(file, response, stream, offset, total, idle, cancellationToken).ConfigureAwait(false);
                if (total is long length && offset != length)
                {
                    if (offset > length)
                    {
                        throw Discarding(Failure(file, $"the server sent {offset:N0} bytes, more than the {length:N0} announced"));
                    }
                    throw NetworkFailure(file, $"the connection ended after {offset:N0} of {length:N0} bytes (run again to resume)", null);
                }
                return;
            }
        }
    }

    /// <summary>Copies the body, resetting the idle timeout after every block; returns the new length of the file.</summary>
    private async Task<long> CopyBodyAsync(ModelFileInfo file, HttpResponseMessage response, FileStream stream, long offset, long? total,
                                           CancellationTokenSource idle, CancellationToken cancellationToken)
    {
        var buffer = new byte[BufferSize];
        long reported = offset;
        progress?.Report(new DownloadProgress(file.FileName, offset, total));
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(idle.Token).ConfigureAwait(false);
            while (true)
            {
                int read = await ReadAsync(body, buffer, idle).ConfigureAwait(false);
                if (read == 0) break;
                await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                offset += read;
                if (offset - reported >= ProgressStep)
                {
                    progress?.Report(new DownloadProgress(file.FileName, offset, total));
                    reported = offset;
                }
            }
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            await stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            throw NetworkFailure(file, $"no data for {Seconds(timeout)} after {offset:N0}{Of(total)} bytes (timeout; run again to resume)", e);
        }
        catch (Exception e) when (e is HttpRequestException or HttpIOException)
        {
            await stream.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            string reason = e is HttpIOException { HttpRequestError: HttpRequestError.ResponseEnded } ? "" : $" ({OneLine(e.Message)})";
            throw NetworkFailure(file, $"the connection broke after {offset:N0}{Of(total)} bytes{reason} (run again to resume)", e);
        }
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (offset != reported || offset == 0) progress?.Report(new DownloadProgress(file.FileName, offset, total));
        return offset;
    }

    /// <summary>One read of the body; the idle timer restarts for each read. A timeout surfaces as OperationCanceledException.</summary>
    private async Task<int> ReadAsync(Stream body, byte[] buffer, CancellationTokenSource idle)
    {
        idle.CancelAfter(timeout);
        try
        {
            return await body.ReadAsync(buffer, idle.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException && idle.IsCancellationRequested)
        {
            throw new OperationCanceledException(e.Message, e, idle.Token);
        }
        catch (IOException e) when (e is not HttpIOException)
        {
            throw new HttpIOException(HttpRequestError.ResponseEnded, e.Message, e);
        }
    }

    /// <summary>Marks a failure whose received bytes are wrong: the partial file is deleted instead of kept for resuming.</summary>
    private static ModelDownloadException Discarding(ModelDownloadException e)
    {
        e.DiscardsDownload = true;
        return e;
    }

    private static ModelDownloadException Failure(ModelFileInfo file, string what) => new($"{file.Url}: {what}", file.Url);

    private ModelDownloadException NetworkFailure(ModelFileInfo file, string what, Exception? inner) =>
        new($"{file.Url}: {what}; {ModelCache.ByHandHint(model, folder)}", file.Url, inner);

    private static string Seconds(TimeSpan span) => span == System.Threading.Timeout.InfiniteTimeSpan ? "ever" : $"{span.TotalSeconds:0.###} s";

    private static string Of(long? total) => total is long t ? $" of {t:N0}" : "";

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));

    private static HttpClient CreateClient()
    {
        var handler = new SocketsHttpHandler
        {
            AutomaticDecompression = DecompressionMethods.None, // byte ranges are of the file itself
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        var client = new HttpClient(handler) { Timeout = System.Threading.Timeout.InfiniteTimeSpan };
        string version = typeof(FileDownloader).Assembly.GetName().Version?.ToString(3) ?? "0";
        client.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("ElmoNative", version));
        return client;
    }
}
