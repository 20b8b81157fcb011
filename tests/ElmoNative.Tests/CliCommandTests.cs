using ElmoNative.Checkpoints;
using ElmoNative.Cli;

namespace ElmoNative.Tests;

/// <summary>Help texts, the info estimates, the argument forms and the progress bar.</summary>
[Collection(CliCollection.Name)]
public sealed class CliCommandTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    [InlineData("help")]
    public void GlobalHelp(string flag)
    {
        var result = CliSandbox.Run(flag).AssertOk();
        Assert.StartsWith("usage: elmo <command>", result.Stdout);
        foreach (string command in new[] { "embed", "token-embeddings", "random-checkpoint", "info" }) Assert.Contains(command, result.Stdout);
    }

    [Theory]
    [InlineData("embed")]
    [InlineData("token-embeddings")]
    [InlineData("random-checkpoint")]
    [InlineData("info")]
    public void CommandHelp(string command)
    {
        Assert.StartsWith($"usage: elmo {command}", CliSandbox.Run(command, "--help").AssertOk().Stdout);
        // -h wins over anything else on the line, even unknown options.
        Assert.StartsWith($"usage: elmo {command}", CliSandbox.Run(command, "--bogus", "-h").AssertOk().Stdout);
        Assert.StartsWith($"usage: elmo {command}", CliSandbox.Run("help", command).AssertOk().Stdout);
    }

    [Theory]
    [InlineData(ModelPreset.Small, 13.6, 44)]
    [InlineData(ModelPreset.Medium, 28.0, 73)]
    [InlineData(ModelPreset.Original, 93.6, 204)]
    public void InfoEstimatesMatchTheSpecTable(ModelPreset preset, double millionParameters, int mflop)
    {
        var options = RandomCheckpoint.Options(preset);
        Assert.Equal(millionParameters, Math.Round(Checkpoint.CountParameters(options) / 1e6, 1));
        var estimate = InfoCommand.Estimate(options);
        Assert.Equal(mflop, (int)Math.Floor(estimate.Total / 1e6));
        if (preset == ModelPreset.Original)
        {
            // Spec section 8: of 204 MFLOP, 151 LSTM, 34 highway, 18 character CNN.
            Assert.Equal(151, Math.Round(estimate.Lstm / 1e6));
            Assert.Equal(34, Math.Round(estimate.Highway / 1e6));
            Assert.Equal(18, Math.Round(estimate.CharCnn / 1e6));
        }
    }

    [Fact]
    public void InfoOnTheFixture()
    {
        var result = CliSandbox.Run(["info", .. CliSandbox.FixtureModel]).AssertOk();
        Assert.Contains("parameters:     105,120", result.Stdout);
        Assert.Contains("450,896 bytes", result.Stdout);
        Assert.Contains("skip connections on", result.Stdout);
    }

    [Fact]
    public void EqualsFormOfOptions()
    {
        using var sandbox = new CliSandbox();
        string input = sandbox.WriteInput("in.txt", "a b c\n");
        string output = sandbox.Output("o.hdf5");
        CliSandbox.Run("embed", $"--input={input}", $"--output={output}", "--layers=top", "--batch-size=2",
            $"--options={Fixtures.AllenNlp("options.json")}", $"--weights={Fixtures.AllenNlp("lm_weights.hdf5")}").AssertOk();
        Assert.Equal([3, 32], Fixtures.ReadDataset(output, "0").Shape);
    }

    [Fact]
    public void ProgressInALogIsAtMostALineEveryInterval()
    {
        var clock = TimeSpan.Zero;
        var log = new StringWriter();
        using (var bar = new ProgressBar(log, ProgressMode.Log, "embed", 1000, "sentences", "tokens", () => clock))
        {
            for (int i = 1; i <= 1000; i++)
            {
                clock += TimeSpan.FromMilliseconds(60); // 60 s in all
                bar.Update(i, 10L * i);
            }
            bar.Finish();
        }
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.InRange(lines.Length, 2, (int)(60 / ProgressBar.LogInterval.TotalSeconds) + 1);
        Assert.DoesNotContain('\r', log.ToString());
        Assert.Contains("1000/1000 sentences", lines[^1]);
        Assert.Contains("167 tokens/s", lines[^1]);
    }

    [Fact]
    public void ProgressOfAnUnknownTotalShowsCountsAndRatesThenTheTotalAtTheEnd()
    {
        // embed from stdin: the number of lines is known only at the end.
        var clock = TimeSpan.Zero;
        var log = new StringWriter();
        using (var bar = new ProgressBar(log, ProgressMode.Log, "embed", -1, "sentences", "tokens", () => clock))
        {
            clock += TimeSpan.FromSeconds(20);
            bar.Update(40, 400);
            clock += TimeSpan.FromSeconds(20);
            bar.Total = 60;
            bar.Update(60, 600);
            bar.Finish();
        }
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal("embed: 40/? sentences, 2.0 sentences/s, 20 tokens/s, 20 s", lines[0]);
        Assert.Equal("embed: 60/60 sentences (100%), 1.5 sentences/s, 15 tokens/s, 40 s", lines[2]);
        Assert.DoesNotContain("ETA", log.ToString());
    }

    [Fact]
    public void ProgressOffWritesNothingAndTerminalRedrawsInPlace()
    {
        var clock = TimeSpan.Zero;
        var off = new StringWriter();
        using (var bar = new ProgressBar(off, ProgressMode.Off, "embed", 10, "sentences", null, () => clock))
        {
            bar.Update(5);
            bar.Finish();
        }
        Assert.Equal("", off.ToString());

        var terminal = new StringWriter();
        using (var bar = new ProgressBar(terminal, ProgressMode.Terminal, "embed", 10, "sentences", null, () => clock))
        {
            for (int i = 1; i <= 5; i++)
            {
                clock += TimeSpan.FromSeconds(1);
                bar.Update(i);
            }
            // Disposed without Finish (an error): the bar is erased so that the error starts a clean line.
        }
        string text = terminal.ToString();
        Assert.Equal(7, text.Count(ch => ch == '\r')); // five draws and the erase ("\r" + blanks + "\r")
        Assert.Contains("[############------------]  50% 5/10 sentences", text);
        Assert.EndsWith("\r", text);
        Assert.DoesNotContain('\n', text);
    }

    [Fact]
    public void SentenceToIndexIsWrittenAsPythonsJsonDumps()
    {
        // json.dumps({'a "b" \\ Ü\t😀': '0', 'x': '1'}) in Python 3.
        string json = ElmoNative.Output.PythonJson.Object([new("a \"b\" \\ Ü\t😀", "0"), new("x", "1")]);
        Assert.Equal("""{"a \"b\" \\ \u00dc\t\ud83d\ude00": "0", "x": "1"}""", json);
        Assert.Equal("a \"b\" \\ Ü\t😀", System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(json)!.Keys.First());
    }
}
