using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using ElmoNative.Checkpoints;

namespace ElmoNative.Tests;

/// <summary>
/// The HDF5 files the project writes, read by the reference HDF5 library's own tool: h5dump (Debian package
/// hdf5-tools, which CI installs). Dataset names, shapes and values are parsed from h5dump's text.
/// </summary>
[Collection(CliCollection.Name)]
public sealed partial class H5DumpTests : IDisposable
{
    private readonly CliSandbox sandbox = new();

    public void Dispose() => sandbox.Dispose();

    [H5DumpFact]
    public void CheckpointReadsBackWithH5Dump()
    {
        string optionsFile = sandbox.WriteInput("tiny.json", CliSandbox.TinyOptions);
        string dir = sandbox.Output("model");
        CliSandbox.Run("random-checkpoint", "--options", optionsFile, "--seed", "3", "--output", dir).AssertOk();
        string weights = Path.Combine(dir, ModelFiles.WeightsFileName);
        var options = ElmoOptions.Load(optionsFile);
        var expected = RandomCheckpoint.Create(options, 3);

        var shapes = DatasetShapes(H5Dump("-H", weights));
        var layout = CheckpointLayout.Expected(options).ToDictionary(e => "/" + e.Name, e => e.Shape);
        Assert.Equal(layout.Keys.Order(), shapes.Keys.Order());
        foreach (var (name, shape) in layout) Assert.Equal(shape, shapes[name]);

        foreach (string name in new[] { "CNN/W_cnn_1", "CNN/b_cnn_0", "CNN_high_0/b_carry", CheckpointLayout.CharEmbedding, CheckpointLayout.LstmWeight(1, 1) })
        {
            string text = H5Dump("-m", "%.9g", "-d", "/" + name, weights);
            Assert.Contains("H5T_IEEE_F32LE", text);
            Assert.Equal(expected[name], Values(text)); // %.9g round-trips float32 exactly
        }
    }

    [H5DumpFact]
    public void ShardFileReadsBackWithH5DumpNamedByGlobalLines()
    {
        // 130 lines: the last of 3 shards holds lines of two and three digits ("8x" .. "129"), so its names are a number
        // range whose strcmp order is not numeric order.
        string[] words = ["the", "cat", "sat", "on", "a", "mat", "."];
        string input = sandbox.WriteInput("in.txt", string.Concat(Enumerable.Range(0, 130).Select(i => string.Join(' ', Enumerable.Range(0, 1 + i % 4).Select(t => words[(i + t) % words.Length])) + "\n")));
        string single = sandbox.Output("single.hdf5"), shards = sandbox.Output("shards");
        CliSandbox.Run(["embed", "--input", input, "--output", single, "--layers", "top", .. CliSandbox.FixtureModel]).AssertOk();
        CliSandbox.Run(["embed", "--input", input, "--output", shards, "--layers", "top", "--shard", "2/3", .. CliSandbox.FixtureModel]).AssertOk();
        string shard = Path.Combine(shards, "shard-00002-of-00003.hdf5");
        var manifest = ElmoNative.Output.ShardManifest.Load(Path.Combine(shards, "shard-00002-of-00003.manifest.json"));
        Assert.True(manifest.FirstLine < 100 && manifest.FirstLine + manifest.Lines == 130, $"lines {manifest.FirstLine}..");

        var names = DatasetShapes(H5Dump("-H", shard)).Keys.Order(StringComparer.Ordinal).ToArray();
        var expected = Enumerable.Range((int)manifest.FirstLine, (int)manifest.Lines).Select(i => "/" + i.ToString(CultureInfo.InvariantCulture)).Append("/sentence_to_index");
        Assert.Equal(expected.Order(StringComparer.Ordinal), names);
        var whole = DatasetValues(H5Dump("-m", "%.9g", single));
        var part = DatasetValues(H5Dump("-m", "%.9g", shard));
        Assert.Equal(manifest.Lines, part.Keys.Count(k => k != "/sentence_to_index"));
        foreach (var (name, values) in part) Assert.Equal(whole[name], values);
        string index = H5Dump("-d", "/sentence_to_index", shard);
        Assert.Contains($"\": \"{manifest.FirstLine}\", ", index); // the pairs carry the global numbers
        Assert.Contains("\": \"129\"}", index);
    }

    [H5DumpFact]
    public void EmbedOutputReadsBackWithH5Dump()
    {
        var sentences = new[] { new[] { "The", "cat", "sat", "." }, new[] { "Über", "\"quoted\"", "<S>" }, new[] { "The", "cat", "sat", "." } };
        string output = sandbox.Output("elmo.hdf5");
        string input = sandbox.WriteInput("in.txt", string.Concat(sentences.Select(s => string.Join(' ', s) + "\n")));
        CliSandbox.Run(["embed", "--input", input, "--output", output, .. CliSandbox.FixtureModel]).AssertOk();

        var shapes = DatasetShapes(H5Dump("-H", output));
        Assert.Equal(["/0", "/1", "/2", "/sentence_to_index"], shapes.Keys.Order(StringComparer.Ordinal));
        for (int i = 0; i < sentences.Length; i++) Assert.Equal([3, sentences[i].Length, 32], shapes["/" + i]);
        Assert.Equal([1], shapes["/sentence_to_index"]);

        using var model = ElmoModel.Load(Fixtures.AllenNlp("options.json"), Fixtures.AllenNlp("lm_weights.hdf5"));
        var expected = model.Embed(sentences);
        Assert.Equal(expected.ToArray(1), Values(H5Dump("-m", "%.9g", "-d", "/1", output)));

        string index = H5Dump("-d", "/sentence_to_index", output);
        Assert.Contains("H5T_STRING", index);
        Assert.Contains("H5T_CSET_UTF8", index);
        // JSON as Python's json.dumps writes it (ASCII only). The file is written in one pass, so a repeated sentence
        // is written again rather than deduplicated; json.loads keeps its first position with its last line, as in AllenNLP.
        Assert.Contains("""(0): "{"The cat sat .": "0", "\u00dcber \"quoted\" <S>": "1", "The cat sat .": "2"}" """.TrimEnd(), index);
    }

    [H5DumpFact]
    public void NineThousandDatasetsReadBackWithH5Dump()
    {
        // Enough links for a three-level B-tree of symbol table nodes (see EmbeddingFileWriterTests): h5dump walks the
        // whole group, and every dataset must hold its own values.
        const int count = 9000;
        string path = sandbox.Output("many.hdf5");
        EmbeddingFileWriterTests.WriteTiny(path, count);
        var datasets = DatasetValues(H5Dump("-m", "%.9g", path));
        Assert.Equal(count + 1, datasets.Count);
        for (int i = 0; i < count; i++) Assert.Equal(EmbeddingFileWriterTests.TinyValues(i), datasets["/" + i.ToString(CultureInfo.InvariantCulture)]);
        foreach (int i in new[] { 0, 1, 10, 999, 8191, 8192, 8999 }) // lookups by name go down the B-tree
            Assert.Equal(EmbeddingFileWriterTests.TinyValues(i), Values(H5Dump("-m", "%.9g", "-d", "/" + i.ToString(CultureInfo.InvariantCulture), path)));
        string index = H5Dump("-d", "/sentence_to_index", path);
        Assert.Contains("H5T_CSET_UTF8", index);
        Assert.Contains("""(0): "{"s 0": "0", "s 1": "1", """, index);
        Assert.Contains("\"s 8999\": \"8999\"}\"", index);
    }

    [H5DumpFact]
    public void DatasetsOfEveryRankReadBackWithH5Dump()
    {
        string path = sandbox.Output("ranks.hdf5");
        long[][] shapes = [[3], [2, 2], [2, 1, 3], [1, 2, 1, 2]];
        using (var writer = new ElmoNative.Output.EmbeddingFileWriter(path))
        {
            for (int i = 0; i < shapes.Length; i++)
                writer.AddDataset("s", shapes[i], Enumerable.Range(0, (int)shapes[i].Aggregate(1L, (a, b) => a * b)).Select(v => v * 0.25f - i).ToArray());
            writer.Finish();
        }
        string header = H5Dump("-H", path);
        Assert.Contains("H5T_IEEE_F32LE", header);
        var shapesRead = DatasetShapes(header);
        for (int i = 0; i < shapes.Length; i++)
        {
            Assert.Equal(shapes[i].Select(d => (int)d), shapesRead["/" + i]);
            Assert.Equal(Enumerable.Range(0, (int)shapes[i].Aggregate(1L, (a, b) => a * b)).Select(v => v * 0.25f - i), Values(H5Dump("-d", "/" + i, path)));
        }
        Assert.Equal([1], shapesRead["/sentence_to_index"]);
        Assert.Contains("""(0): "{"s": "0", "s": "1", "s": "2", "s": "3"}" """.TrimEnd(), H5Dump("-d", "/sentence_to_index", path));
    }

    /// <summary>Runs h5dump; fails clearly when it is not installed.</summary>
    private static string H5Dump(params string[] args)
    {
        string exe = H5DumpFactAttribute.Executable ?? throw new InvalidOperationException("h5dump is not on PATH");
        var start = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(30_000), "h5dump did not finish in 30 s");
        Assert.True(process.ExitCode == 0, $"h5dump {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result}");
        return stdout.Result;
    }

    /// <summary>Full dataset paths and their dimensions from <c>h5dump -H</c>, following the GROUP nesting.</summary>
    private static Dictionary<string, int[]> DatasetShapes(string header)
    {
        var result = new Dictionary<string, int[]>(StringComparer.Ordinal);
        var path = new Stack<string?>(); // group or dataset name per open brace; null for other blocks
        foreach (string raw in header.Split('\n'))
        {
            string line = raw.Trim();
            var named = NamedBlock().Match(line);
            if (named.Success)
            {
                path.Push(named.Groups[1].Value == "HDF5" ? "" : named.Groups[2].Value);
                continue;
            }
            var space = Dataspace().Match(line);
            if (space.Success || line.StartsWith("DATASPACE  SCALAR", StringComparison.Ordinal))
            {
                string name = "/" + string.Join("/", path.Reverse().Where(p => !string.IsNullOrEmpty(p) && p != "/"));
                result[name] = space.Success
                    ? space.Groups[1].Value.Split(',').Select(d => int.Parse(d.Trim(), CultureInfo.InvariantCulture)).ToArray()
                    : [];
            }
            foreach (char ch in line)
            {
                if (ch == '{') path.Push(null);
                else if (ch == '}' && path.Count > 0) path.Pop();
            }
        }
        return result;
    }

    /// <summary>Every float dataset of a whole-file h5dump listing (one group deep) and its values, by full path.</summary>
    private static Dictionary<string, float[]> DatasetValues(string dump)
    {
        var result = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (string block in dump.Split("DATASET \"").Skip(1))
        {
            string name = "/" + block[..block.IndexOf('"')];
            if (block.Contains("H5T_STRING", StringComparison.Ordinal)) result[name] = [];
            else result[name] = Values(block); // stops at the end of the block's DATA
        }
        return result;
    }

    /// <summary>The numbers of the DATA block of an <c>h5dump -d</c> listing, in order.</summary>
    private static float[] Values(string dump)
    {
        int start = dump.IndexOf("DATA {", StringComparison.Ordinal);
        Assert.True(start >= 0, "no DATA block in h5dump output:\n" + dump);
        var values = new List<float>();
        foreach (string raw in dump[(start + "DATA {".Length)..].Split('\n'))
        {
            string line = raw.Trim();
            if (line.StartsWith('}')) break;
            int colon = line.IndexOf("):", StringComparison.Ordinal);
            if (colon < 0) continue;
            foreach (string number in line[(colon + 2)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                values.Add(float.Parse(number, NumberStyles.Float, CultureInfo.InvariantCulture));
        }
        return values.ToArray();
    }

    // 'HDF5 "file" {', 'GROUP "name" {', 'DATASET "name" {' (the brace is consumed with the name).
    [GeneratedRegex("""^(HDF5|GROUP|DATASET) "(.*)" \{$""")]
    private static partial Regex NamedBlock();

    [GeneratedRegex(@"^DATASPACE\s+SIMPLE \{ \( ([0-9, ]+) \)")]
    private static partial Regex Dataspace();
}
