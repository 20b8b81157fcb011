using ElmoNative.Cli;

namespace ElmoNative.Training.Tests;

public sealed class CliProgressTests
{
    [Fact]
    public void TrainingProgressShowsTheDetailAndAnEtaInBothModes()
    {
        var clock = TimeSpan.Zero;
        foreach (var mode in new[] { ProgressMode.Log, ProgressMode.Terminal })
        {
            var bar = new ProgressBar(TextWriter.Null, mode, "train", 100, "windows", "tokens", () => clock) { Detail = "epoch 1, loss 4.500, perplexity 90.0" };
            bar.Update(25, 25 * 1280);
            string text = bar.Render(TimeSpan.FromSeconds(10));
            Assert.Contains("25/100 windows", text);
            Assert.Contains("3200 tokens/s", text);
            Assert.Contains("epoch 1, loss 4.500, perplexity 90.0", text);
            Assert.Contains("ETA 0:30", text); // 75 windows left at 2.5 windows/s
            bar.Update(100, 100 * 1280);
            Assert.DoesNotContain("ETA", bar.Render(TimeSpan.FromSeconds(40)));
        }
    }
}
