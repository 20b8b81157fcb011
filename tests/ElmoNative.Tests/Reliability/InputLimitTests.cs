using System.Text;
using ElmoNative.Output;
using ElmoNative.Text;

namespace ElmoNative.Tests.Reliability;

/// <summary>
/// Inputs that would make memory grow without bound: a stream without line ends (<c>/dev/zero</c>), a line longer than
/// <see cref="Utf8LineReader.MaxLineBytes"/>, a sentence of more than <see cref="EmbeddingFileOptions.MaxSentenceTokens"/>
/// tokens: one line naming the file and line, exit 1, nothing written.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class InputLimitTests : IDisposable
{
    private readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [Theory]
    [InlineData(2)]
    [InlineData(1)]
    [InlineData(1000)]
    public void ALineOfAtMostTheLimitIsReadAndOneByteMoreIsRefused(int limit)
    {
        foreach (string end in new[] { "\n", "\r\n", "" })
        {
            // The line, its end (none: the last line of the file), and a next line after an end.
            string next = new('b', limit);
            byte[] Text(int bytes) => Encoding.UTF8.GetBytes(new string('a', bytes) + end + (end.Length == 0 ? "" : next + "\n"));
            using (var fits = new Utf8LineReader(new MemoryStream(Text(limit)), "t.txt") { MaxLineBytes = limit })
            {
                Assert.True(fits.TryRead(out string? line));
                Assert.Equal(new string('a', limit), line);
                Assert.Equal(end.Length != 0, fits.TryRead(out line));
                if (end.Length != 0) Assert.Equal(next, line);
            }
            using var over = new Utf8LineReader(new MemoryStream(Text(limit + 1)), "t.txt") { MaxLineBytes = limit };
            var e = Assert.Throws<InvalidDataException>(() => over.TryRead(out _));
            Assert.StartsWith("t.txt:1: line longer than", e.Message);
        }
    }

    [LinuxFact]
    public void AStreamWithoutLineEndsIsRefusedNamingTheFileNotReadForever()
    {
        string output = sandbox.Output("out.hdf5");
        CliSandbox.Run(["embed", .. CliSandbox.FixtureModel, "--input", "/dev/zero", "--output", output]).AssertError(1, "/dev/zero:1:", "line longer than 1,048,576 bytes");
        sandbox.AssertOutputEmpty();
    }

    [Fact]
    public void ASentenceOfMoreTokensThanTheLimitIsRefusedNamingItsLineAndTheOption()
    {
        string input = sandbox.WriteInput("long.txt", "a short one\n" + string.Join(' ', Enumerable.Repeat("w", 10_001)) + "\n");
        string output = sandbox.Output("out.hdf5");
        CliSandbox.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", output])
            .AssertError(1, "long.txt:2:", "10,001 tokens", "(10,000; --max-sentence-tokens)");
        sandbox.AssertOutputEmpty();
        CliSandbox.Run(["embed", .. CliSandbox.FixtureModel, "--input", input, "--output", output, "--max-sentence-tokens", "10001", "--quiet"]).AssertOk();
        Assert.True(File.Exists(output));
    }
}
