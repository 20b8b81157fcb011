using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

/// <summary>
/// `elmo serve` in a child process (ServeLoad's <c>--elmo PATH</c>): started on a free loopback port, waited for until
/// <c>GET /ready</c> answers, stopped with SIGTERM on dispose. Its resident memory is read from /proc.
/// </summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly Process process;

    private ServeProcess(Process process, string url)
    {
        this.process = process;
        Url = url;
    }

    /// <summary>The server's base address.</summary>
    public string Url { get; }

    /// <summary>The child's process id.</summary>
    public int Id => process.Id;

    /// <summary>Starts <paramref name="elmo"/> (an elmo.dll, run with dotnet, or an executable) serving <paramref name="model"/>.</summary>
    public static async Task<ServeProcess> StartAsync(string elmo, string? model, int delayMs, int maxQueued)
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        string url = $"http://127.0.0.1:{port}";
        var start = elmo.EndsWith(".dll", StringComparison.Ordinal) ? new ProcessStartInfo("dotnet") { ArgumentList = { elmo } } : new ProcessStartInfo(elmo);
        foreach (string a in new[] { "serve", "--urls", url, "--model-id", "default", "--max-batch-delay-ms", delayMs.ToString(CultureInfo.InvariantCulture), "--max-queued-requests", maxQueued.ToString(CultureInfo.InvariantCulture) })
            start.ArgumentList.Add(a);
        if (model is not null)
        {
            start.ArgumentList.Add("--model");
            start.ArgumentList.Add(model);
        }
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {elmo}");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (process.HasExited) throw new InvalidOperationException($"elmo serve exited with {process.ExitCode} before it was ready");
            try
            {
                using var ready = await http.GetAsync($"{url}/ready");
                if (ready.IsSuccessStatusCode) return new ServeProcess(process, url);
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
            }
            await Task.Delay(50);
        }
        process.Kill(entireProcessTree: true);
        throw new TimeoutException($"elmo serve at {url} was not ready within 60 s");
    }

    /// <summary>The child's resident set size now (VmRSS), in bytes.</summary>
    public long ResidentBytes()
    {
        foreach (string line in File.ReadLines($"/proc/{process.Id}/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        return 0;
    }

    /// <summary>SIGTERM, then a kill if it has not exited within 30 s.</summary>
    public void Dispose()
    {
        if (!process.HasExited)
        {
            Process.Start("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)])?.WaitForExit();
            if (!process.WaitForExit(30_000)) process.Kill(entireProcessTree: true);
        }
        process.Dispose();
    }
}
