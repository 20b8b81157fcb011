using System.Diagnostics;
using System.Text.Json.Nodes;
using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests.Hostile;

/// <summary>
/// A handful of hostile checkpoints through the built <c>elmo</c> as a real child process (the one-line error and exit
/// code 1 of a whole process, with no test host around it to catch what escapes): a FIFO and /dev/urandom as options,
/// /dev/zero as weights, counts of 1e9 and 1e8, NaN weights, a truncated file. The process is killed after 30 s.
/// </summary>
public class CliProcessTests
{
    private static string Elmo => Path.Combine(AppContext.BaseDirectory, "elmo.dll");

    public static TheoryData<string> Cases => new() { "options fifo", "options /dev/urandom", "weights /dev/zero", "n_layers 1e9", "max_characters_per_token 1e8", "NaN weight", "truncated" };

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheBuiltCliEndsInOneLineAndExitCode1(string kind)
    {
        using var dir = new TempDirectory();
        string options = HostileFiles.FixtureOptions, weights = HostileFiles.FixtureWeights, named;
        switch (kind)
        {
            case "options fifo":
                options = named = dir.File("options.json");
                if (!HostileFiles.TryMakeFifo(options)) return; // no FIFOs here
                break;
            case "options /dev/urandom":
            case "weights /dev/zero":
                named = kind[(kind.IndexOf(' ', StringComparison.Ordinal) + 1)..];
                if (!File.Exists(named)) return;
                if (kind.StartsWith("options", StringComparison.Ordinal)) options = named;
                else weights = named;
                break;
            case "n_layers 1e9":
            case "max_characters_per_token 1e8":
                var json = HostileFiles.FixtureOptionsJson();
                if (kind.StartsWith("n_layers", StringComparison.Ordinal)) json["lstm"]!["n_layers"] = JsonNode.Parse("1e9");
                else json["char_cnn"]!["max_characters_per_token"] = JsonNode.Parse("1e8");
                options = named = dir.File("options.json");
                File.WriteAllText(options, json.ToJsonString());
                break;
            case "NaN weight":
                weights = named = dir.File("weights.hdf5");
                HostileFiles.WriteFixtureWith(weights, t => t.Name != "CNN_high_0/W_carry" ? HostileFiles.Unchanged(t)
                    : (t.Name, t.Data.Select((v, i) => i == 100 ? float.NaN : v).ToArray(), t.Shape.Select(d => (ulong)d).ToArray()));
                break;
            default:
                weights = named = dir.File("weights.hdf5");
                byte[] bytes = File.ReadAllBytes(HostileFiles.FixtureWeights);
                File.WriteAllBytes(weights, bytes.AsSpan(0, bytes.Length - 1000).ToArray());
                break;
        }
        string input = dir.File("input.txt"), output = dir.File("out.hdf5");
        File.WriteAllText(input, "The bank of the river .\n");
        foreach (string[] args in new[]
        {
            new[] { "info", "--options", options, "--weights", weights },
            ["embed", "--options", options, "--weights", weights, "--input", input, "--output", output],
        })
        {
            var (code, stderr) = Run(args);
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(code == 1, $"{kind}, elmo {args[0]}: exit code {code}: {stderr}");
            Assert.True(lines.Length == 1 && lines[0].StartsWith("elmo: ", StringComparison.Ordinal), $"{kind}, elmo {args[0]}: {stderr}");
            Assert.Contains(named, lines[0]);
            Assert.DoesNotContain("internal error", lines[0]);
            Assert.False(File.Exists(output));
        }
    }

    private static (int Code, string Stderr) Run(string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Elmo);
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"elmo {string.Join(' ', args)}: still running after 30 s (a hang)");
        }
        Assert.Equal("", stdout.Result);
        return (process.ExitCode, stderr.Result);
    }
}
