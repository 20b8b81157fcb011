using System.Globalization;
using System.Text;
using ElmoNative.Output;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace ElmoNative.Tests;

/// <summary>
/// Sharded embedding (docs/scale-out.md): the cut points of <see cref="InputShard"/>, the numbering of a shard's file,
/// and <c>elmo embed --shard</c> + <c>elmo merge</c> giving the bytes of one unsharded <c>elmo embed</c>, with every
/// merge error, the rerun no-op and the environments of Slurm job arrays and Kubernetes Indexed Jobs.
/// </summary>
[Collection(CliCollection.Name)]
public sealed class ShardTests : IDisposable
{
    private static readonly Lazy<ElmoModel> FixtureModel = new(() => ElmoModel.Load(Fixtures.AllenNlp("options.json"), Fixtures.AllenNlp("lm_weights.hdf5")));
    private readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    /// <summary>Files of random lines (ASCII words, CRLF or LF ends, with or without a last newline, empty lines too) and a shard count.</summary>
    private static Arbitrary<(byte[] Bytes, int Shards)> Files() =>
        (from lines in Gen.Choose(0, 30).SelectMany(n => Gen.Choose(0, 25).ArrayOf(n))
         from crlf in Gen.Elements(false, true)
         from lastNewline in Gen.Elements(false, true)
         from shards in Gen.Choose(1, 12)
         select (Build(lines, crlf, lastNewline), shards)).ToArbitrary();

    private static byte[] Build(int[] lengths, bool crlf, bool lastNewline)
    {
        var text = new StringBuilder();
        for (int i = 0; i < lengths.Length; i++)
        {
            for (int c = 0; c < lengths[i]; c++) text.Append(c % 6 == 5 ? ' ' : (char)('a' + (i + c) % 26));
            if (i < lengths.Length - 1 || lastNewline) text.Append(crlf ? "\r\n" : "\n");
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>The start offsets of the lines of <paramref name="bytes"/> as the line reader counts them.</summary>
    private static List<long> LineStarts(byte[] bytes)
    {
        var starts = new List<long>();
        for (long p = 0; p < bytes.Length; p++)
        {
            if (p == 0 || bytes[p - 1] == '\n') starts.Add(p);
        }
        return starts;
    }

    [Property(MaxTest = 200)]
    public Property ShardsCoverEveryLineExactlyOnce() => Prop.ForAll(Files(), c =>
    {
        string path = sandbox.WriteInput("input.txt", c.Bytes);
        var starts = LineStarts(c.Bytes);
        var owner = new int[starts.Count];
        Array.Fill(owner, -1);
        long expectedStart = 0;
        for (int k = 0; k < c.Shards; k++)
        {
            var shard = InputShard.Locate(path, k, c.Shards);
            Assert.Equal(expectedStart, shard.Start);
            Assert.True(shard.End >= shard.Start);
            Assert.True(shard.Start == c.Bytes.Length || starts.Contains(shard.Start), "a shard starts at a line start");
            Assert.Equal(starts.Count(s => s < shard.Start), shard.FirstLine);
            for (int i = 0; i < starts.Count; i++)
            {
                if (starts[i] < shard.Start || starts[i] >= shard.End) continue;
                Assert.Equal(-1, owner[i]);
                owner[i] = k;
            }
            // The lines the shard reads are the lines of its bytes, numbered globally.
            var read = new List<(int Number, string Text)>();
            using (var lines = shard.OpenLines(path))
            {
                while (lines.TryRead(out string? line)) read.Add((lines.LineNumber, line));
            }
            var expected = Enumerable.Range(0, starts.Count).Where(i => owner[i] == k).ToList();
            Assert.Equal(expected.Select(i => i + 1), read.Select(r => r.Number));
            expectedStart = shard.End;
        }
        Assert.Equal(c.Bytes.Length, expectedStart);
        Assert.DoesNotContain(-1, owner);
        // Each shard's line starts lie in its nominal share, except that a line belongs to the shard its first byte is in.
        for (int i = 0; i < starts.Count; i++)
        {
            int k = owner[i];
            Assert.True(starts[i] == 0 || starts[i] >= InputShard.Nominal(c.Bytes.Length, k, c.Shards));
            Assert.True(starts[i] - 1 < InputShard.Nominal(c.Bytes.Length, k + 1, c.Shards) || k == c.Shards - 1);
        }
    });

    [Property(MaxTest = 300)]
    public Property StrcmpOrderOfANumberRangeMatchesOrdinalSorting() => Prop.ForAll(
        (from first in Gen.OneOf(Gen.Choose(0, 3000), Gen.Choose(0, 20).Select(p => (int)Math.Pow(10, p % 6) - 1 + (p % 3)))
         from count in Gen.Choose(0, 1200)
         select (first, count)).ToArbitrary(), c =>
    {
        var expected = Enumerable.Range(c.first, c.count).Select(i => i.ToString(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal).ToList();
        var actual = new List<string>();
        var order = new DecimalNames.StrcmpOrder(c.first, c.count);
        while (order.MoveNext()) actual.Add(order.Current.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(expected, actual);
        for (long i = c.first; i <= c.first + c.count; i++) Assert.Equal(8 + DecimalNames.HeapOffset(i) - DecimalNames.HeapOffset(c.first), DecimalNames.HeapOffset(c.first, i));
    });

    /// <summary>Random sentences (from a fixed vocabulary, 1 to 9 tokens) and a shard count, for the library's merge property.</summary>
    [Property(MaxTest = 12)]
    public Property MergedShardsAreTheBytesOfOneRun() => Prop.ForAll(
        (from n in Gen.Choose(1, 40)
         from lengths in Gen.Choose(1, 9).ArrayOf(n)
         from shards in Gen.Choose(1, 9)
         from pool in Gen.Elements<Pooling?>(null, Pooling.Mean)
         select (lengths, shards, pool)).ToArbitrary(), c =>
    {
        string[] words = ["the", "bank", "of", "river", "I", "went", "today", "a", "dog", "ran", "."];
        string text = string.Concat(c.lengths.Select((l, i) => string.Join(' ', Enumerable.Range(0, l).Select(t => words[(i * 7 + t * 3) % words.Length])) + "\n"));
        string input = sandbox.WriteInput("sentences.txt", text);
        var options = new EmbeddingFileOptions { Pooling = c.pool };
        string single = sandbox.Output("single.hdf5"), merged = sandbox.Output("merged.hdf5"), folder = sandbox.Output("shards");
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        EmbeddingFile.Write(FixtureModel.Value, input, single, options);
        for (int k = 0; k < c.shards; k++) EmbeddingShard.Write(FixtureModel.Value, input, k, c.shards, folder, "model", options);
        EmbeddingShardSet.Merge([folder], merged);
        Assert.Equal(File.ReadAllBytes(single), File.ReadAllBytes(merged));
    });

    private string Input(int lines = 23)
    {
        var sentences = Fixtures.Sentences(Fixtures.AllenNlp("sentences.json")).SelectMany(l => l).ToArray();
        var text = new StringBuilder();
        for (int i = 0; i < lines; i++) text.Append(string.Join(' ', sentences[i % sentences.Length])).Append(i % 5 == 3 ? "  \r\n" : "\n");
        return sandbox.WriteInput("sentences.txt", text.ToString());
    }

    private static CliResult Embed(string input, string output, params string[] more) =>
        CliSandbox.Run(["embed", "--input", input, "--output", output, "--no-progress", .. CliSandbox.FixtureModel, .. more]);

    private string Shards(string input, int count, string folderName, params string[] more)
    {
        string folder = sandbox.Output(folderName);
        for (int k = 0; k < count; k++) Embed(input, folder, ["--shard", $"{k}/{count}", .. more]).AssertOk();
        return folder;
    }

    [Theory]
    [InlineData(3, new string[0])]
    [InlineData(4, new[] { "--pool", "mean" })]
    [InlineData(5, new[] { "--layers", "top", "--pool", "max" })]
    [InlineData(2, new[] { "--layers", "average" })]
    [InlineData(3, new[] { "--forget-sentences" })]
    [InlineData(40, new[] { "--layers", "top" })] // more shards than lines: empty shards
    [InlineData(1, new string[0])]
    public void MergeOfShardsIsBitIdenticalToOneRun(int count, string[] options)
    {
        string input = Input();
        string single = sandbox.Output("single.hdf5"), merged = sandbox.Output("merged.hdf5");
        Embed(input, single, options).AssertOk();
        string folder = Shards(input, count, "shards", options);
        var result = CliSandbox.Run("merge", "--output", merged, folder).AssertOk();
        Assert.Contains($"merge: {count} shards, 23 sentences", result.Stderr);
        Assert.Equal(File.ReadAllBytes(single), File.ReadAllBytes(merged));
        // The shards' own files are valid HDF5 named by global line numbers.
        using var shard = PureHDF.H5File.OpenRead(Directory.GetFiles(folder, "*.hdf5").Order(StringComparer.Ordinal).Last());
        Assert.Contains("22", shard.Children().Select(c => c.Name));
    }

    [Fact]
    public void MergeTakesShardFilesOrManifestsInAnyOrder()
    {
        string input = Input();
        string single = sandbox.Output("single.hdf5"), merged = sandbox.Output("merged.hdf5");
        Embed(input, single).AssertOk();
        string folder = Shards(input, 3, "shards");
        var files = Directory.GetFiles(folder, "*.hdf5").Order(StringComparer.Ordinal).ToArray();
        var manifests = Directory.GetFiles(folder, "*.manifest.json").Order(StringComparer.Ordinal).ToArray();
        CliSandbox.Run("merge", "--output", merged, files[2], manifests[0], files[1]).AssertOk();
        Assert.Equal(File.ReadAllBytes(single), File.ReadAllBytes(merged));
    }

    [Fact]
    public void MergeErrorsNameTheShardAndWriteNothing()
    {
        string input = Input();
        string folder = Shards(input, 4, "shards");
        string other = Shards(input, 3, "other");
        string foreign = Shards(input, 4, "foreign", "--layers", "top");
        string merged = sandbox.Output("merged.hdf5");
        string Manifest(string dir, int k, int n) => Path.Combine(dir, ShardManifest.BaseName(k, n) + ShardManifest.Suffix);
        string[] Four(string dir) => [.. Enumerable.Range(0, 4).Select(k => Manifest(dir, k, 4))];

        // Missing: shard 2 of 4 not given.
        CliSandbox.Run("merge", "--output", merged, Manifest(folder, 0, 4), Manifest(folder, 1, 4), Manifest(folder, 3, 4))
            .AssertError(1, "missing shard", "shard-00002-of-00004.manifest.json is missing");
        // Missing at the end.
        CliSandbox.Run("merge", "--output", merged, Manifest(folder, 0, 4), Manifest(folder, 1, 4), Manifest(folder, 2, 4))
            .AssertError(1, "missing shard", "shard-00003-of-00004");
        // Duplicated: the same shard from a copy.
        string copy = Directory.CreateDirectory(sandbox.Output("copy")).FullName;
        foreach (string f in Directory.GetFiles(folder, "shard-00001-*")) File.Copy(f, Path.Combine(copy, Path.GetFileName(f)));
        CliSandbox.Run(["merge", "--output", merged, .. Four(folder), Manifest(copy, 1, 4)])
            .AssertError(1, "the same shard as", "shard-00001-of-00004.manifest.json");
        // The same file given twice.
        CliSandbox.Run(["merge", "--output", merged, .. Four(folder), Manifest(folder, 1, 4)]).AssertError(1, "given twice");
        // Overlapping: shards of two runs with different N.
        CliSandbox.Run("merge", "--output", merged, Manifest(folder, 0, 4), Manifest(folder, 1, 4), Manifest(other, 1, 3), Manifest(other, 2, 3))
            .AssertError(1, "overlap");
        // Foreign: other options.
        CliSandbox.Run("merge", "--output", merged, Manifest(folder, 0, 4), Manifest(folder, 1, 4), Manifest(foreign, 2, 4), Manifest(folder, 3, 4))
            .AssertError(1, "foreign shard", Manifest(foreign, 2, 4), "layers=top");
        // A shard's file cut short, or gone.
        string file3 = Path.Combine(folder, ShardManifest.BaseName(3, 4) + ".hdf5");
        byte[] bytes = File.ReadAllBytes(file3);
        File.WriteAllBytes(file3, bytes[..^100]);
        CliSandbox.Run("merge", "--output", merged, folder).AssertError(1, file3, "not the");
        File.Delete(file3);
        CliSandbox.Run("merge", "--output", merged, folder).AssertError(1, file3, "missing");
        File.WriteAllBytes(file3, bytes);
        // A file of the right size whose datasets are not there (another file's bytes).
        string file0 = Path.Combine(folder, ShardManifest.BaseName(0, 4) + ".hdf5");
        byte[] first = File.ReadAllBytes(file0);
        File.WriteAllBytes(file0, new byte[first.Length]);
        CliSandbox.Run("merge", "--output", merged, folder).AssertError(1, file0, "not an HDF5 file");
        File.WriteAllBytes(file0, first);
        // The input changed after the shards read it.
        string original = File.ReadAllText(input);
        File.WriteAllText(input, original.Replace("the", "The", StringComparison.Ordinal));
        CliSandbox.Run("merge", "--output", merged, folder).AssertError(1, "SHA-256 differs", "the input changed");
        File.WriteAllText(input, original);
        // Not a manifest; nothing given.
        CliSandbox.Run("merge", "--output", merged, input).AssertError(1, input, "neither a shard's");
        CliSandbox.Run("merge", "--output", merged).AssertError(2, "give the shards");
        Assert.False(File.Exists(merged));
        Assert.Empty(Directory.GetFiles(sandbox.OutputDirectory)); // no temporary file either

        CliSandbox.Run("merge", "--output", merged, folder).AssertOk();
        CliSandbox.Run("merge", "--output", merged, folder).AssertError(1, "output exists");
    }

    [Fact]
    public void FinishedShardRerunIsANoOpAndOtherWorkNeedsForce()
    {
        string input = Input();
        string folder = sandbox.Output("shards");
        Embed(input, folder, "--shard", "1/3").AssertOk();
        string file = Path.Combine(folder, ShardManifest.BaseName(1, 3) + ".hdf5");
        long size = new FileInfo(file).Length;
        var earlier = File.GetLastWriteTimeUtc(file).AddHours(-1);
        File.SetLastWriteTimeUtc(file, earlier); // a rewrite would give it a new time
        Assert.Contains("already done", Embed(input, folder, "--shard", "1/3").Summary);
        Assert.Equal(earlier, File.GetLastWriteTimeUtc(file));
        Assert.Equal(size, new FileInfo(file).Length);

        Embed(input, folder, "--shard", "1/3", "--layers", "top").AssertError(1, "a shard of other work is there", "--force");
        Assert.Equal(earlier, File.GetLastWriteTimeUtc(file));
        Assert.DoesNotContain("already done", Embed(input, folder, "--shard", "1/3", "--layers", "top", "--force").Summary);
        Assert.NotEqual(size, new FileInfo(file).Length);
        Assert.Contains("already done", Embed(input, folder, "--shard", "1/3", "--layers", "top").Summary);

        // A manifest that is not one is never taken for a finished shard, nor replaced without --force.
        string manifest = Path.Combine(folder, ShardManifest.BaseName(1, 3) + ShardManifest.Suffix);
        File.WriteAllText(manifest, "{ \"format\": \"something else\" }");
        Embed(input, folder, "--shard", "1/3").AssertError(1, manifest, "not a shard manifest", "--force");
        Assert.DoesNotContain("already done", Embed(input, folder, "--shard", "1/3", "--force").Summary);
        Assert.Contains("already done", Embed(input, folder, "--shard", "1/3").Summary);
    }

    [Fact]
    public void CancelledShardLeavesNothingAndRunsAgainFromTheStart()
    {
        string input = Input();
        string folder = sandbox.Output("shards");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var result = CliResult.Run(TextReader.Null, cancelled.Token, ["embed", "--input", input, "--output", folder, "--shard", "0/2", "--no-progress", .. CliSandbox.FixtureModel]);
        Assert.Equal(130, result.ExitCode);
        Assert.Empty(Directory.Exists(folder) ? Directory.GetFileSystemEntries(folder) : []);
        Embed(input, folder, "--shard", "0/2").AssertOk();
        Assert.Equal(2, Directory.GetFiles(folder).Length);
    }

    /// <summary>The shard count of examples/kubernetes/embed-indexed-job.yaml, checked to be the same in its every place.</summary>
    private static int IndexedJobShards()
    {
        string yaml = File.ReadAllText(Path.Combine(Fixtures.RepositoryRoot, "examples", "kubernetes", "embed-indexed-job.yaml"));
        int Find(string pattern) => int.Parse(System.Text.RegularExpressions.Regex.Match(yaml, pattern).Groups[1].Value, CultureInfo.InvariantCulture);
        int completions = Find(@"\n  completions: (\d+)");
        Assert.Equal(completions, Find(@"\n  parallelism: (\d+)"));
        Assert.Equal(completions, Find(ShardOptionCountVariable + @"[^\n]*\n\s*value: ""(\d+)"""));
        Assert.Equal(completions, Find(@"-ge (\d+) \]")); // the merge waits for that many manifests
        Assert.Contains("--shard auto", yaml, StringComparison.Ordinal);
        return completions;
    }

    [Fact]
    public void IndexedJobShardsFromJobCompletionIndexMergeToOneRun()
    {
        string input = Input();
        string single = sandbox.Output("single.hdf5"), merged = sandbox.Output("merged.hdf5"), folder = sandbox.Output("shards");
        Embed(input, single, "--pool", "max").AssertOk();
        int shards = IndexedJobShards();
        for (int k = 0; k < shards; k++)
        {
            // As the pods of examples/kubernetes/embed-indexed-job.yaml run: JOB_COMPLETION_INDEX from Kubernetes, the
            // count from the environment, except one pod given it as an option.
            var environment = new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = k.ToString(CultureInfo.InvariantCulture) };
            string[] count = k == 2 ? ["--shard-count", shards.ToString(CultureInfo.InvariantCulture)] : [];
            if (k != 2) environment[ShardOptionCountVariable] = shards.ToString(CultureInfo.InvariantCulture);
            CliResult.RunWithEnvironment(environment, ["embed", "--input", input, "--output", folder, "--shard", "auto", "--pool", "max", "--no-progress", .. count, .. CliSandbox.FixtureModel]).AssertOk();
        }
        Assert.Equal(2 * shards, Directory.GetFiles(folder).Length);
        CliSandbox.Run("merge", "--output", merged, folder).AssertOk();
        Assert.Equal(File.ReadAllBytes(single), File.ReadAllBytes(merged));
    }

    private const string ShardOptionCountVariable = "ELMONATIVE_SHARD_COUNT";

    [Fact]
    public void SlurmArrayVariablesNameTheShard()
    {
        string input = Input();
        string single = sandbox.Output("single.hdf5"), merged = sandbox.Output("merged.hdf5"), folder = sandbox.Output("shards");
        Embed(input, single).AssertOk();
        foreach (int task in new[] { 5, 7, 9 }) // --array=5-9:2
        {
            var environment = new Dictionary<string, string>
            {
                ["SLURM_ARRAY_TASK_ID"] = task.ToString(CultureInfo.InvariantCulture),
                ["SLURM_ARRAY_TASK_MIN"] = "5",
                ["SLURM_ARRAY_TASK_STEP"] = "2",
                ["SLURM_ARRAY_TASK_COUNT"] = "3",
            };
            var result = CliResult.RunWithEnvironment(environment, ["embed", "--input", input, "--output", folder, "--shard", "auto", "--no-progress", .. CliSandbox.FixtureModel]).AssertOk();
            Assert.Contains($"shard {(task - 5) / 2}/3", result.Stderr);
        }
        CliSandbox.Run("merge", "--output", merged, folder).AssertOk();
        Assert.Equal(File.ReadAllBytes(single), File.ReadAllBytes(merged));

        // With the count given, the task id is the shard number: one task resubmitted alone (--array=1) is shard 1 of 3.
        var alone = new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = "1", ["SLURM_ARRAY_TASK_MIN"] = "1", ["SLURM_ARRAY_TASK_COUNT"] = "1" };
        Assert.Contains("shard 1/3", CliResult.RunWithEnvironment(alone, ["embed", "--input", input, "--output", folder, "--shard", "auto", "--shard-count", "3", "--no-progress", .. CliSandbox.FixtureModel]).Summary);
    }

    [Fact]
    public void ShardUsageErrorsSayWhy()
    {
        string input = Input();
        string folder = sandbox.Output("shards");
        Embed(input, folder, "--shard", "0/2", "--stateful").AssertError(2, "--stateful cannot be sharded", "LSTM state");
        CliSandbox.Run(["embed", input, folder, "--top", "--shard", "0/2", .. CliSandbox.FixtureModel]).AssertError(2, "add --stateless");
        Embed(input, folder, "--shard", "0/2", "--use-sentence-keys").AssertError(2, "--use-sentence-keys cannot be sharded");
        Embed(input, folder, "--shard", "2/2").AssertError(2, "0 <= K < N");
        Embed(input, folder, "--shard", "x").AssertError(2, "--shard must be K/N");
        Embed("-", folder, "--shard", "0/2").AssertError(2, "stdin");
        Embed(input, "-", "--shard", "0/2").AssertError(2, "names a folder");
        Embed(input, folder, "--shard-count", "2").AssertError(2, "--shard-count goes with --shard auto");
        CliResult.RunWithEnvironment(new Dictionary<string, string>(), ["embed", "--input", input, "--output", folder, "--shard", "auto", .. CliSandbox.FixtureModel])
            .AssertError(2, "SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX");
        CliResult.RunWithEnvironment(new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "1" }, ["embed", "--input", input, "--output", folder, "--shard", "auto", .. CliSandbox.FixtureModel])
            .AssertError(2, "--shard-count", ShardOptionCountVariable);
        CliResult.RunWithEnvironment(new Dictionary<string, string> { ["SLURM_ARRAY_TASK_ID"] = "4", ["SLURM_ARRAY_TASK_COUNT"] = "4" }, ["embed", "--input", input, "--output", folder, "--shard", "auto", .. CliSandbox.FixtureModel])
            .AssertError(2, "--array=0-3");
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void ABadLineInAShardIsNamedByItsGlobalNumber()
    {
        string input = sandbox.WriteInput("bad.txt", "a b\nc d\ne f\n\ng h\n");
        string folder = sandbox.Output("shards");
        Embed(input, folder, "--shard", "1/2").AssertError(1, "bad.txt:4:", "empty line", "(index 3)");
        Assert.Empty(Directory.GetFiles(folder));
    }
}
