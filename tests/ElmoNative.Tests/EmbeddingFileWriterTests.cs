using System.Globalization;
using System.Text;
using System.Text.Json;
using ElmoNative.Output;
using PureHDF;

namespace ElmoNative.Tests;

/// <summary>
/// The streaming HDF5 writer of <c>elmo embed</c>, read back by an independent reader (PureHDF); H5DumpTests reads the
/// same files with the HDF5 library's h5dump.
/// </summary>
public sealed class EmbeddingFileWriterTests : IDisposable
{
    private readonly string directory = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "elmo-writer-tests", Guid.NewGuid().ToString("N")[..12])).FullName;

    public void Dispose() => Directory.Delete(directory, recursive: true);

    /// <summary>Dataset i of the many-datasets files: shape (2,), values (i, -i / 2) (exact in float32).</summary>
    internal static float[] TinyValues(int i) => [i, -i / 2f];

    /// <summary>Writes <paramref name="count"/> tiny datasets (sentence of dataset i: "s i") with the writer.</summary>
    internal static void WriteTiny(string path, int count)
    {
        using var writer = new EmbeddingFileWriter(path);
        for (int i = 0; i < count; i++) writer.AddDataset("s " + i.ToString(CultureInfo.InvariantCulture), [2], TinyValues(i));
        writer.Finish();
    }

    /// <summary>Python's <c>json.loads</c> of an object: keys at their first position, each with its last value.</summary>
    internal static List<KeyValuePair<string, string>> PythonDict(string json)
    {
        var order = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        Assert.True(reader.Read() && reader.TokenType == JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string key = reader.GetString()!;
            Assert.True(reader.Read() && reader.TokenType == JsonTokenType.String);
            if (!values.ContainsKey(key)) order.Add(key);
            values[key] = reader.GetString()!;
        }
        Assert.Equal(JsonTokenType.EndObject, reader.TokenType);
        Assert.False(reader.Read());
        return order.Select(k => new KeyValuePair<string, string>(k, values[k])).ToList();
    }

    /// <summary>
    /// A new file is created without truncation (no ext4 flush at close), an existing one is still replaced whole: a
    /// writer over a longer file leaves none of its old bytes behind.
    /// </summary>
    [Fact]
    public void ANewFileAndAnExistingLongerFileBothHoldExactlyTheWrittenFile()
    {
        string fresh = Path.Combine(directory, "fresh.hdf5"), existing = Path.Combine(directory, "existing.hdf5");
        WriteTiny(fresh, 3);
        File.WriteAllBytes(existing, Enumerable.Repeat((byte)0xAB, 1 << 20).ToArray());
        WriteTiny(existing, 3);
        Assert.Equal(File.ReadAllBytes(fresh), File.ReadAllBytes(existing));
        using var file = H5File.OpenRead(existing);
        Assert.Equal(TinyValues(2), file.Dataset("2").Read<float[]>());
    }

    [Fact]
    public void DatasetsOfEveryRankReadBack()
    {
        string path = Path.Combine(directory, "ranks.hdf5");
        var random = new Random(11);
        long[][] shapes = [[5], [3, 4], [3, 2, 7], [1, 1, 1, 2], [1]];
        var data = shapes.Select(s => Enumerable.Range(0, (int)s.Aggregate(1L, (a, b) => a * b)).Select(_ => (float)random.NextDouble() - 0.5f).ToArray()).ToArray();
        using (var writer = new EmbeddingFileWriter(path))
        {
            for (int i = 0; i < shapes.Length; i++)
            {
                if (i == 2)
                {
                    // In pieces, as the CLI writes --layers all (one layer at a time).
                    writer.BeginDataset("piece by piece", shapes[i]);
                    for (int part = 0; part < 3; part++) writer.WriteValues(data[i].AsSpan(part * 14, 14));
                }
                else
                {
                    writer.AddDataset($"sentence {i}", shapes[i], data[i]);
                }
            }
            Assert.Equal(shapes.Length, writer.Count);
            writer.Finish();
        }
        Assert.Equal(["ranks.hdf5"], Directory.GetFiles(directory).Select(Path.GetFileName)); // temporary files gone

        using var file = H5File.OpenRead(path);
        Assert.Equal(new[] { "0", "1", "2", "3", "4", "sentence_to_index" }, file.Children().Select(c => c.Name).Order(StringComparer.Ordinal));
        for (int i = 0; i < shapes.Length; i++)
        {
            var dataset = file.Dataset(i.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(shapes[i].Select(d => (ulong)d), dataset.Space.Dimensions);
            Assert.Equal(data[i], dataset.Read<float[]>());
        }
        var index = file.Dataset(EmbeddingFileWriter.SentenceToIndexName);
        Assert.Equal(new ulong[] { 1 }, index.Space.Dimensions);
        string[] text = index.Read<string[]>();
        Assert.Equal("""{"sentence 0": "0", "sentence 1": "1", "piece by piece": "2", "sentence 3": "3", "sentence 4": "4"}""", Assert.Single(text));
    }

    [Fact]
    public void SentenceKeysNameTheDatasetsInAnyNumberAndEveryNameFindsItsData()
    {
        // 1,000 names in random order (non-ASCII included): a two-level B-tree; each name must find its own data.
        const int count = 1000;
        var random = new Random(3);
        var names = Enumerable.Range(0, count).Select(i => $"{(char)('a' + random.Next(26))}{(i % 7 == 0 ? "ü" : "")} sentence {random.Next()} #{i}").ToArray();
        string path = Path.Combine(directory, "keys.hdf5");
        using (var writer = new EmbeddingFileWriter(path, EmbeddingFileLayout.SentenceKeys))
        {
            for (int i = 0; i < count; i++) writer.AddDataset(names[i], [2], TinyValues(i));
            writer.Finish();
        }
        using var file = H5File.OpenRead(path);
        Assert.Equal(names.Order(StringComparer.Ordinal), file.Children().Select(c => c.Name).Order(StringComparer.Ordinal));
        for (int i = 0; i < count; i++) Assert.Equal(TinyValues(i), file.Dataset(names[i]).Read<float[]>());
    }

    [Fact]
    public void LineNumbersWithoutSentenceToIndex()
    {
        string path = Path.Combine(directory, "forget.hdf5");
        using (var writer = new EmbeddingFileWriter(path, EmbeddingFileLayout.LineNumbers))
        {
            for (int i = 0; i < 12; i++) writer.AddDataset("s", [2], TinyValues(i));
            writer.Finish();
        }
        using var file = H5File.OpenRead(path);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i.ToString(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal), file.Children().Select(c => c.Name).Order(StringComparer.Ordinal));
        for (int i = 0; i < 12; i++) Assert.Equal(TinyValues(i), file.Dataset(i.ToString(CultureInfo.InvariantCulture)).Read<float[]>());
    }

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("and/or")]
    [InlineData("nul\0byte")]
    public void SentenceKeysRefuseNamesHdf5CannotHold(string name)
    {
        Assert.False(EmbeddingFileWriter.IsValidKey(name));
        using var writer = new EmbeddingFileWriter(Path.Combine(directory, "bad.hdf5"), EmbeddingFileLayout.SentenceKeys);
        Assert.Throws<ArgumentException>(() => writer.AddDataset(name, [2], TinyValues(0)));
    }

    [Fact]
    public void NineThousandDatasetsNeedAThreeLevelBTreeAndEveryNameFindsItsData()
    {
        // 9,001 links: 1,126 symbol table nodes of 8, 36 level-0 B-tree nodes of 32, 2 level-1 nodes, 1 root at level 2.
        const int count = 9000;
        string path = Path.Combine(directory, "many.hdf5");
        WriteTiny(path, count);
        using var file = H5File.OpenRead(path);
        var names = file.Children().Select(c => c.Name).ToList();
        Assert.Equal(count + 1, names.Count);
        Assert.Equal(Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).Append("sentence_to_index").Order(StringComparer.Ordinal), names.Order(StringComparer.Ordinal));
        for (int i = 0; i < count; i++)
        {
            var dataset = file.Dataset(i.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(TinyValues(i), dataset.Read<float[]>());
        }
        var index = PythonDict(Assert.Single(file.Dataset("sentence_to_index").Read<string[]>()));
        Assert.Equal(Enumerable.Range(0, count).Select(i => new KeyValuePair<string, string>($"s {i}", i.ToString(CultureInfo.InvariantCulture))), index);
    }

    [Fact]
    public void RepeatedAndNonAsciiSentencesGiveTheDictionaryOfTheOldWriter()
    {
        string[] sentences = ["The cat sat .", "Über \"quoted\" <S>", "a \\ b", "The cat sat .", "😀 naïve", "Über \"quoted\" <S>", "x", "The cat sat ."];
        string path = Path.Combine(directory, "index.hdf5");
        using (var writer = new EmbeddingFileWriter(path))
        {
            for (int i = 0; i < sentences.Length; i++) writer.AddDataset(sentences[i], [1], [i]);
            writer.Finish();
        }
        using var file = H5File.OpenRead(path);
        string json = Assert.Single(file.Dataset("sentence_to_index").Read<string[]>());
        Assert.True(json.All(ch => ch is >= ' ' and <= '~'), json); // ASCII only, as Python's json.dumps

        // What the two-pass writer built: a Dictionary filled line by line (insertion order kept, the last index wins).
        var old = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < sentences.Length; i++) old[sentences[i]] = i.ToString(CultureInfo.InvariantCulture);
        Assert.Equal(old.ToList(), PythonDict(json)); // json.loads in Python: same keys, same order, same values
        Assert.Equal(PythonJson.Object(old), PythonJson.Object(PythonDict(json))); // and json.dumps of it: the old text
        Assert.Equal(old, JsonSerializer.Deserialize<Dictionary<string, string>>(json)); // System.Text.Json: last wins too
        Assert.Equal(sentences.Length, json.Split("\": \"").Length - 1); // every pair written, none dropped
    }

    [Fact]
    public void WrongValueCountsAreRefusedAndAnUnfinishedFileLeavesNoTemporaryFiles()
    {
        string path = Path.Combine(directory, "bad.hdf5");
        using (var writer = new EmbeddingFileWriter(path))
        {
            Assert.Throws<ArgumentException>(() => writer.AddDataset("a", [2, 3], new float[5]));
            Assert.Equal(0, writer.Count); // refused before anything was written
            writer.BeginDataset("a", [2, 3]);
            writer.WriteValues(new float[5]);
            Assert.Throws<InvalidOperationException>(() => writer.WriteValues(new float[2])); // 1 left
            Assert.Throws<InvalidOperationException>(() => writer.BeginDataset("b", [1]));
            Assert.Throws<InvalidOperationException>(() => writer.Finish());
            // The output and its two temporary files; where a file can be deleted while open, the temporary files' names
            // are deleted at once (nothing to leave behind however the process ends).
            Assert.Equal(OperatingSystem.IsWindows() ? 3 : 1, Directory.GetFiles(directory).Length);
        }
        Assert.Equal(["bad.hdf5"], Directory.GetFiles(directory).Select(Path.GetFileName));
    }

    [Fact]
    public void StrcmpOrderOfDecimalNamesMatchesOrdinalSorting()
    {
        foreach (int count in new[] { 0, 1, 2, 9, 10, 11, 99, 100, 101, 999, 1000, 1234, 10000, 10001 })
        {
            var expected = Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal).ToList();
            var actual = new List<string>();
            var order = new DecimalNames.StrcmpOrder(count);
            while (order.MoveNext()) actual.Add(order.Current.ToString(CultureInfo.InvariantCulture));
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void HeapOffsetsAreTheRunningSumOfPaddedNames()
    {
        long offset = 8; // after the empty string
        for (long i = 0; i < 120_000; i++)
        {
            Assert.Equal(offset, DecimalNames.HeapOffset(i));
            offset += Hdf5StreamWriter.Pad8(i.ToString(CultureInfo.InvariantCulture).Length + 1);
        }
        // Past 7 digits names take 16 bytes: 8 + 10 x 8 + 90 x 8 + ... + 9,000,000 x 8, then 16 each.
        Assert.Equal(8 + 10_000_000L * 8, DecimalNames.HeapOffset(10_000_000));
        Assert.Equal(8 + 10_000_000L * 8 + 16, DecimalNames.HeapOffset(10_000_001));
    }
}
