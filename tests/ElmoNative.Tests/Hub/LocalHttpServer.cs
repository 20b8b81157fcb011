using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ElmoNative.Tests.Hub;

/// <summary>How <see cref="LocalHttpServer"/> answers requests for one path.</summary>
public enum ServeMode
{
    /// <summary>200 with the whole file, or 206 for <c>Range: bytes=N-</c> (416 past the end).</summary>
    Normal,

    /// <summary>Always 200 with the whole file, whatever Range says.</summary>
    IgnoreRange,

    /// <summary>The first request gets the headers (whole length) and <c>Bytes</c> bytes, then the connection closes; later ones as Normal.</summary>
    CutOnce,

    /// <summary>Accepts the request and never answers.</summary>
    Hang,

    /// <summary>Sends the headers and <c>Bytes</c> bytes, then nothing more (connection left open).</summary>
    HangAfterBytes,
}

/// <summary>A request the server saw.</summary>
public sealed record ServedRequest(string Path, string? Range, int Status);

/// <summary>
/// A minimal HTTP/1.1 file server on 127.0.0.1 (a free port), for the download tests: serves byte arrays by path in one
/// of the <see cref="ServeMode"/>s, counts requests and records their Range headers. One request per connection.
/// Stopped (listener and open connections closed) by Dispose.
/// </summary>
public sealed class LocalHttpServer : IDisposable
{
    private readonly TcpListener listener;
    private readonly CancellationTokenSource stop = new();
    private readonly ConcurrentDictionary<string, (byte[] Content, ServeMode Mode, int Bytes)> files = new();
    private readonly ConcurrentQueue<ServedRequest> requests = new();
    private readonly ConcurrentBag<TcpClient> clients = [];
    private readonly ConcurrentDictionary<string, int> served = new();
    private readonly Task acceptLoop;

    public LocalHttpServer()
    {
        listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        acceptLoop = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>Set when a Hang / HangAfterBytes request has sent all it will send.</summary>
    public TaskCompletionSource Hanging { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public IReadOnlyList<ServedRequest> Requests => requests.ToArray();

    public Uri UrlOf(string path) => new($"http://127.0.0.1:{Port}/{path}");

    /// <summary>Serves <paramref name="content"/> at <c>/path</c> (replacing what was there).</summary>
    public void Serve(string path, byte[] content, ServeMode mode = ServeMode.Normal, int bytes = 0) =>
        files["/" + path] = (content, mode, bytes);

    private async Task AcceptLoopAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }
            clients.Add(client);
            _ = Task.Run(() => HandleAsync(client));
        }
    }

    private async Task HandleAsync(TcpClient client)
    {
        try
        {
            using (client)
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream);
                if (head is null) return;
                var lines = head.Split("\r\n");
                string path = lines[0].Split(' ')[1];
                string? range = lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("Range", StringComparison.OrdinalIgnoreCase))
                    .Select(p => p[1].Trim()).FirstOrDefault();
                if (!files.TryGetValue(path, out var file))
                {
                    requests.Enqueue(new ServedRequest(path, range, 404));
                    await WriteAsync(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }
                int count = served.AddOrUpdate(path, 1, (_, n) => n + 1);
                byte[] content = file.Content;
                switch (file.Mode)
                {
                    case ServeMode.Hang:
                        requests.Enqueue(new ServedRequest(path, range, 0));
                        Hanging.TrySetResult();
                        await Task.Delay(Timeout.Infinite, stop.Token);
                        return;
                    case ServeMode.HangAfterBytes:
                        requests.Enqueue(new ServedRequest(path, range, 200));
                        await WriteAsync(stream, Headers(200, "OK", content.Length));
                        await stream.WriteAsync(content.AsMemory(0, file.Bytes), stop.Token);
                        await stream.FlushAsync(stop.Token);
                        Hanging.TrySetResult();
                        await Task.Delay(Timeout.Infinite, stop.Token);
                        return;
                    case ServeMode.CutOnce when count == 1:
                        requests.Enqueue(new ServedRequest(path, range, 200));
                        await WriteAsync(stream, Headers(200, "OK", content.Length));
                        await stream.WriteAsync(content.AsMemory(0, file.Bytes), stop.Token);
                        await stream.FlushAsync(stop.Token);
                        return; // closes the connection short of Content-Length
                }
                long from = 0;
                if (file.Mode != ServeMode.IgnoreRange && range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
                    from = long.Parse(range["bytes=".Length..^1]);
                if (from >= content.Length && from > 0)
                {
                    requests.Enqueue(new ServedRequest(path, range, 416));
                    await WriteAsync(stream, $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{content.Length}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }
                if (from > 0)
                {
                    requests.Enqueue(new ServedRequest(path, range, 206));
                    await WriteAsync(stream, $"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {from}-{content.Length - 1}/{content.Length}\r\n"
                                            + $"Content-Length: {content.Length - from}\r\nConnection: close\r\n\r\n");
                    await stream.WriteAsync(content.AsMemory((int)from), stop.Token);
                    return;
                }
                requests.Enqueue(new ServedRequest(path, range, 200));
                await WriteAsync(stream, Headers(200, "OK", content.Length));
                await stream.WriteAsync(content, stop.Token);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, or the server is stopping.
        }
    }

    private static string Headers(int status, string reason, long length) =>
        $"HTTP/1.1 {status} {reason}\r\nContent-Type: application/octet-stream\r\nAccept-Ranges: bytes\r\nContent-Length: {length}\r\nConnection: close\r\n\r\n";

    private async Task WriteAsync(NetworkStream stream, string text) => await stream.WriteAsync(Encoding.ASCII.GetBytes(text), stop.Token);

    /// <summary>The request line and headers (up to the blank line), or null when the client closed first.</summary>
    private async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>();
        var one = new byte[1];
        while (head.Count < 16384)
        {
            if (await stream.ReadAsync(one, stop.Token) == 0) return null;
            head.Add(one[0]);
            int n = head.Count;
            if (n >= 4 && head[n - 4] == '\r' && head[n - 3] == '\n' && head[n - 2] == '\r' && head[n - 1] == '\n')
                return Encoding.ASCII.GetString(head.ToArray(), 0, n - 4);
        }
        return null;
    }

    public void Dispose()
    {
        stop.Cancel();
        listener.Stop();
        foreach (var client in clients) client.Dispose();
        try
        {
            acceptLoop.Wait(TimeSpan.FromSeconds(10));
        }
        catch (AggregateException)
        {
        }
        stop.Dispose();
    }
}
