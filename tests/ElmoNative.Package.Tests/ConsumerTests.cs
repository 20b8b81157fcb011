using System.Globalization;
using PureHDF;

namespace ElmoNative.Package.Tests;

/// <summary>
/// The packages as a user meets them, in folders outside the repository, with the isolated nuget.config of
/// <see cref="PackedSolution"/>: a new console app that adds only ElmoNative and embeds with <c>ElmoModel.LoadDefault()</c>
/// (built, run, published and run again), and the .NET tool installed from the packages embedding a file without
/// <c>--model</c>. What they print and write is checked against the library built from this checkout.
/// </summary>
[Collection(PackedSolutionCollection.Name)]
public sealed class ConsumerTests(PackedSolution packed)
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(5);

    private static readonly string[][] Sentences = [["The", "bank", "of", "the", "river"], ["I", "went", "to", "the", "bank", "today"]];

    /// <summary>
    /// The README's quick-start program (the C# block after its "quick start" marker), word for word, followed by lines
    /// that print what the test checks from the README's own <c>model</c> and <c>batch</c>.
    /// </summary>
    private static string Program()
    {
        string readme = File.ReadAllText(Path.Combine(PackedSolution.BuildProperty("RepositoryRoot"), "README.md"));
        int marker = readme.IndexOf("<!-- quick start:", StringComparison.Ordinal);
        Assert.True(marker >= 0, "README.md has no quick-start marker");
        int start = readme.IndexOf("```csharp\n", marker, StringComparison.Ordinal) + "```csharp\n".Length;
        int end = readme.IndexOf("```", start, StringComparison.Ordinal);
        string example = readme[start..end];
        Assert.Contains("ElmoModel.LoadDefault()", example);
        return "using System.Globalization;\n" + example + """
            ReadOnlySpan<float> top = batch.Layer(sentence: 1, layer: model.LayerCount - 1);
            Console.WriteLine($"layers={model.LayerCount}");
            Console.WriteLine($"dim={batch.Dim}");
            Console.WriteLine($"lengths={string.Join(',', batch.Lengths)}");
            Console.WriteLine($"top={string.Join(' ', top[..8].ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}");
            Console.WriteLine($"model={ElmoModel.FindDefaultDirectory()}");
            """;
    }

    /// <summary>The shipped model, loaded from the repository: what the packaged library and tool must reproduce.</summary>
    private static readonly Lazy<(ElmoBatchOutput Batch, int Layers)> Expected = new(() =>
    {
        using var model = ElmoModel.LoadDirectory(Path.Combine(PackedSolution.BuildProperty("RepositoryRoot"), "models", "default"));
        return (model.Embed(Sentences), model.LayerCount);
    });

    private static Dictionary<string, string> Lines(ProcessResult result) =>
        result.StandardOutput.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.Contains('='))
            .Select(l => l.Split('=', 2))
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => g.Last()[1]);

    /// <summary>Checks the console app's output against <see cref="Expected"/>; the model must come from <paramref name="programFolder"/>.</summary>
    private static void AssertEmbedded(ProcessResult result, string programFolder)
    {
        var lines = Lines(result);
        string context = result.Describe();
        var (batch, layers) = Expected.Value;
        Assert.True(lines.ContainsKey("top") && lines.ContainsKey("model"), context);
        Assert.Equal(layers.ToString(CultureInfo.InvariantCulture), lines["layers"]);
        Assert.Equal("3", lines["layers"]);
        Assert.Equal("256", lines["dim"]);
        Assert.Equal("5,6", lines["lengths"]);
        float[] top = lines["top"].Split(' ').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        float[] expected = batch.Layer(1, layers - 1)[..8].ToArray();
        Assert.Equal(8, top.Length);
        for (int i = 0; i < 8; i++) Assert.True(Math.Abs(top[i] - expected[i]) <= 1e-5f, $"top[{i}] = {top[i]}, expected {expected[i]}\n{context}");
        Assert.Equal(Path.Combine(Path.GetFullPath(programFolder), "models", "default"), lines["model"].TrimEnd('/'));
    }

    [Fact]
    public void AConsoleAppThatAddsOnlyElmoNativeEmbedsWithTheDefaultModel_BuiltAndPublished()
    {
        string app = packed.NewFolder("app");
        var run = packed.Consumer;
        run.Dotnet(app, Step, "new", "console", "--framework", "net10.0", "--name", "ElmoConsumer", "--output", app).AssertSuccess();
        string project = Path.Combine(app, "ElmoConsumer.csproj");
        run.Dotnet(app, Step, "add", project, "package", "ElmoNative", "--version", packed.Version).AssertSuccess();
        File.WriteAllText(Path.Combine(app, "Program.cs"), Program());

        // Only ElmoNative was added; the model package came with it and put its files beside the program.
        string projectText = File.ReadAllText(project);
        Assert.Contains("Include=\"ElmoNative\"", projectText);
        Assert.DoesNotContain("ElmoNative.Models.Default", projectText);

        var built = run.Dotnet(app, Step, "run", "--project", project, "-c", "Release").AssertSuccess();
        AssertEmbedded(built, Path.Combine(app, "bin", "Release", "net10.0"));
        Assert.Contains("3 layers of 256 floats per token; 'bank' in sentence 1 begins ", built.StandardOutput);

        string published = Path.Combine(app, "published");
        run.Dotnet(app, Step, "publish", project, "-c", "Release", "-o", published).AssertSuccess();
        foreach (string file in new[] { "options.json", "weights.hdf5", "vocab.txt", "train_options.json", "README.md" })
            Assert.True(File.Exists(Path.Combine(published, "models", "default", file)), $"publish left out models/default/{file}");
        string elsewhere = packed.NewFolder("elsewhere");
        var fromPublish = run.Dotnet(elsewhere, Step, Path.Combine(published, "ElmoConsumer.dll")).AssertSuccess();
        AssertEmbedded(fromPublish, published);

        // The locally packed ElmoNative went to the isolated packages folder, not to ~/.nuget/packages.
        Assert.True(Directory.Exists(Path.Combine(packed.PackagesFolder, "elmonative.models.default", packed.Version)));
    }

    [Fact]
    public void TheToolInstalledFromThePackagesEmbedsAFileWithTheDefaultModelFromAnyFolder()
    {
        string tools = packed.NewFolder("tools");
        string work = packed.NewFolder("work");
        var run = packed.Consumer;
        run.Dotnet(work, Step, "tool", "install", "ElmoNative.Tool", "--tool-path", tools, "--version", packed.Version,
            "--configfile", packed.NuGetConfig).AssertSuccess();
        string elmo = Path.Combine(tools, OperatingSystem.IsWindows() ? "elmo.exe" : "elmo");

        var help = run.Run(elmo, work, Step, "--help").AssertSuccess();
        Assert.Contains("embed", help.StandardOutput + help.StandardError);

        File.WriteAllText(Path.Combine(work, "sentences.txt"), string.Concat(Sentences.Select(s => string.Join(' ', s) + "\n")));
        var embed = run.Run(elmo, work, Step, "embed", "--input", "sentences.txt", "--output", "out.hdf5").AssertSuccess();
        string output = Path.Combine(work, "out.hdf5");
        Assert.True(File.Exists(output), embed.Describe());

        var (batch, layers) = Expected.Value;
        using var file = H5File.OpenRead(output);
        for (int s = 0; s < Sentences.Length; s++)
        {
            var dataset = file.Dataset(s.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(new ulong[] { (ulong)layers, (ulong)Sentences[s].Length, 256 }, dataset.Space.Dimensions);
            float[] values = dataset.Read<float[]>();
            float[] expected = batch.ToArray(s);
            Assert.Equal(expected.Length, values.Length);
            double worst = expected.Zip(values, (e, v) => Math.Abs(e - v)).Max();
            Assert.True(worst <= 1e-4, $"sentence {s}: max abs difference {worst} from the library's embedding\n{embed.Describe()}");
        }
        Assert.Single(file.Dataset("sentence_to_index").Read<string[]>());

        AssertServes(run, elmo, work, batch);
        AssertTags(run, elmo, work);
    }

    /// <summary>
    /// The installed tool's part-of-speech tagger (docs/tagger.md): <c>elmo tagger train</c> on the tiny tagged fixture
    /// with the default model, <c>elmo tagger eval</c> on it, and <c>elmo tag</c> of a plain sentence.
    /// </summary>
    private void AssertTags(ExternalProcess run, string elmo, string work)
    {
        File.Copy(Path.Combine(packed.RepositoryRoot, "tests", "fixtures", "tagger", "tiny.tagged.txt"), Path.Combine(work, "tiny.tagged.txt"));
        run.Run(elmo, work, Step, "tagger", "train", "--train", "tiny.tagged.txt", "--valid", "tiny.tagged.txt", "--output", "tiny.tagger",
            "--epochs", "12", "--batch-sentences", "4", "--learning-rate", "0.3", "--no-progress").AssertSuccess();
        var eval = run.Run(elmo, work, Step, "tagger", "eval", "--tagger", "tiny.tagger", "--input", "tiny.tagged.txt", "--no-progress").AssertSuccess();
        var accuracy = System.Text.RegularExpressions.Regex.Match(eval.StandardOutput, @"^accuracy: ([0-9.]+)");
        Assert.True(accuracy.Success, eval.Describe());
        Assert.True(double.Parse(accuracy.Groups[1].Value, CultureInfo.InvariantCulture) >= 0.95, eval.Describe());
        File.WriteAllText(Path.Combine(work, "plain.txt"), "The big dog saw a cat .\n");
        run.Run(elmo, work, Step, "tag", "--tagger", "tiny.tagger", "--input", "plain.txt", "--output", "tagged.txt", "--no-progress").AssertSuccess();
        Assert.Equal("The/AT big/JJ dog/NN saw/VBD a/AT cat/NN ./.\n", File.ReadAllText(Path.Combine(work, "tagged.txt")));
    }

    /// <summary>
    /// The installed tool's <c>elmo serve</c> (ASP.NET Core, docs/serve.md) answers OpenAI's /v1/embeddings with the
    /// library's sentence vector (mean over tokens of the average of the layers) and exits 0 after SIGTERM.
    /// </summary>
    private static void AssertServes(ExternalProcess run, string elmo, string work, ElmoBatchOutput batch)
    {
        using var server = run.Start(elmo, work, "serve", "--urls", "http://127.0.0.1:0");
        try
        {
            var listening = server.StandardError.ReadLineAsync().WaitAsync(Step).GetAwaiter().GetResult() ?? "";
            var match = System.Text.RegularExpressions.Regex.Match(listening, @"listening on (http://127\.0\.0\.1:\d+)");
            Assert.True(match.Success, $"elmo serve did not say where it listens: '{listening}'");
            var rest = server.StandardError.ReadToEndAsync();
            using var http = new HttpClient { BaseAddress = new Uri(match.Groups[1].Value + "/") };
            // Tokens that the Penn Treebank tokenizer leaves as they are: the server's tokens are the batch's sentence 0.
            string text = string.Join(' ', Sentences[0]);
            using var response = http.PostAsync("v1/embeddings", new StringContent(
                System.Text.Json.JsonSerializer.Serialize(new { input = text }), System.Text.Encoding.UTF8, "application/json")).GetAwaiter().GetResult();
            string body = response.Content.ReadAsStringAsync().GetAwaiter().GetResult();
            Assert.True(response.IsSuccessStatusCode, body);
            float[] served = [.. System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
            var mixed = ScalarMix.Average(batch.LayerCount).Mix(batch).AsSpan(0, batch.MaxLength * batch.Dim)[..(Sentences[0].Length * batch.Dim)];
            var expected = new float[batch.Dim];
            SentencePooling.Pool(mixed, batch.Dim, Pooling.Mean, expected);
            double worst = expected.Zip(served, (e, v) => Math.Abs(e - v)).Max();
            Assert.True(worst <= 1e-4, $"max abs difference {worst} from the library's sentence vector");
            Assert.Equal(0, Kill(server.Id, 15));
            Assert.True(server.WaitForExit(Step), "elmo serve did not stop after SIGTERM");
            Assert.True(server.ExitCode == 0, $"exit code {server.ExitCode}: {rest.GetAwaiter().GetResult()}");
        }
        finally
        {
            if (!server.HasExited) server.Kill(entireProcessTree: true);
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
