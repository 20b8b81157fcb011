using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace ElmoNative.Server.Tests;

/// <summary>
/// <c>elmo serve</c> as a process (<c>dotnet elmo.dll serve</c>): it says where it listens, answers, and on SIGTERM
/// stops accepting, answers the request in flight and exits 0.
/// </summary>
public sealed partial class ServeProcessTests
{
    [Fact]
    public async Task SigtermFinishesTheRequestInFlightAndExitsZero()
    {
        if (OperatingSystem.IsWindows()) return; // no SIGTERM
        string dll = Path.Combine(AppContext.BaseDirectory, "elmo.dll");
        Assert.True(File.Exists(dll), $"the built CLI is missing: {dll}");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardErrorEncoding = Encoding.UTF8,
        };
        // The batching loop waits 3 s for company once it holds a request: SIGTERM comes while that request is in flight.
        foreach (string a in new[] { dll, "serve", "--model", Path.Combine(TestText.RepositoryRoot, "tests", "fixtures", "allennlp-elmo"),
                     "--urls", "http://127.0.0.1:0", "--max-batch-delay-ms", "3000" })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = new StringBuilder();
        try
        {
            string? line = await process.StandardError.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.True(line is not null, "elmo serve ended before listening");
            stderr.AppendLine(line);
            var match = Listening().Match(line);
            Assert.True(match.Success, $"no address in '{line}'");
            var rest = process.StandardError.ReadToEndAsync();
            using var http = new HttpClient { BaseAddress = new Uri(match.Groups[1].Value + "/"), Timeout = TimeSpan.FromMinutes(1) };
            Assert.Contains("allennlp-elmo", await http.GetStringAsync("v1/models"), StringComparison.Ordinal);

            var inFlight = http.PostAsync("v1/embeddings", new StringContent("""{"input": ["The bank of the river.", "Hi"]}""", Encoding.UTF8, "application/json"));
            var clock = Stopwatch.StartNew();
            while (!(await http.GetStringAsync("metrics")).Contains("\nelmo_requests_in_progress 1", StringComparison.Ordinal))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the request never reached the server");
                await Task.Delay(20);
            }
            Assert.Equal(0, Kill(process.Id, 15));

            using var answer = await inFlight;
            Assert.Equal(200, (int)answer.StatusCode);
            Assert.Contains("\"embedding\"", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)), "elmo serve did not exit after SIGTERM");
            stderr.Append(await rest);
            Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}; stderr: {stderr}");
            Assert.Contains("serve: 2 sentences, 7 tokens", stderr.ToString(), StringComparison.Ordinal);
            Assert.Equal("", await stdout);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [GeneratedRegex(@"listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
