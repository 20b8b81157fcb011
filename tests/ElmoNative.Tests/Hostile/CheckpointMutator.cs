using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ElmoNative.Checkpoints;
using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests.Hostile;

/// <summary>
/// Makes mutants of the AllenNLP fixture checkpoint from a random source: truncations, bit flips in the HDF5 metadata
/// and in the weights, rewritten datasets (wrong shape, transposed, flattened, other dtype, NaN / infinity, missing, of a
/// larger architecture), options.json mutations (huge, negative, fractional, null, missing, mistyped values, duplicate
/// keys, broken or oversized text) and special files (FIFO, /dev/zero, /dev/urandom, a directory, a link loop).
/// </summary>
internal static partial class CheckpointMutator
{
    private static readonly byte[] FixtureBytes = File.ReadAllBytes(HostileFiles.FixtureWeights);

    /// <summary>Where each dataset's values lie in the fixture file (contiguous float32, found by their bytes).</summary>
    private static readonly (CheckpointTensor Tensor, int Start)[] DataRegions = HostileFiles.FixtureTensors
        .Select(t => (t, FixtureBytes.AsSpan().IndexOf(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Data.AsSpan()))))
        .Where(r => r.Item2 >= 0)
        .ToArray();

    private static readonly int EndOfData = DataRegions.Max(r => r.Start + 4 * r.Tensor.Data.Length);

    private static readonly string[] OptionFields =
    [
        "lstm.dim", "lstm.projection_dim", "lstm.n_layers", "lstm.cell_clip", "lstm.proj_clip", "lstm.use_skip_connections",
        "char_cnn.embedding.dim", "char_cnn.embedding", "char_cnn.filters", "char_cnn.filters[i][0]", "char_cnn.filters[i][1]",
        "char_cnn.n_highway", "char_cnn.n_characters", "char_cnn.max_characters_per_token", "char_cnn.activation", "lstm", "char_cnn",
    ];

    /// <summary>Values that no count may take (the file's counts are small, positive integers).</summary>
    private static readonly string[] Refused =
        ["1e9", "2147483647", "2147483648", "1e8", "4294967296", "1e300", "-1", "-2147483648", "2.5", "null", "\"2\"", "true", "[]", "{}", "[[1, 4]]"];

    /// <summary>Values that may or may not be right for a given field.</summary>
    private static readonly string[] Plausible = ["0", "1", "2", "3", "4", "16", "49", "51", "60", "64", "1000", "1001", "\"tanh\"", "\"relu\"", "\"gelu\"", "false"];

    public static CheckpointMutant Make(Random random, TempDirectory dir)
    {
        string options = dir.File("options.json"), weights = dir.File("weights.hdf5");
        int kind = random.Next(100);
        if (kind >= 80 && kind < 96)
        {
            File.Copy(HostileFiles.FixtureWeights, weights);
            return MutateOptions(random, options, weights);
        }
        File.Copy(HostileFiles.FixtureOptions, options);
        if (kind >= 96) return SpecialFile(random, dir, options);
        return kind switch
        {
            < 12 => Truncate(random, options, weights),
            < 22 => FlipMetadata(random, options, weights),
            < 28 => FlipCompressed(random, options, weights),
            < 44 => FlipData(random, options, weights),
            < 56 => Reshape(random, options, weights),
            < 62 => OtherDtype(random, options, weights),
            < 70 => NonFiniteValue(random, options, weights),
            < 76 => MissingDataset(random, options, weights),
            _ => LargerArchitecture(random, options, weights),
        };
    }

    private static CheckpointMutant Truncate(Random random, string options, string weights)
    {
        int length = random.Next(3) == 0 ? random.Next(Math.Min(4096, FixtureBytes.Length)) : random.Next(FixtureBytes.Length);
        File.WriteAllBytes(weights, FixtureBytes.AsSpan(0, length).ToArray());
        string what = $"weights truncated to {length} of {FixtureBytes.Length} bytes";
        return length < EndOfData
            ? new(what, options, weights, MutantExpectation.Error)
            : new(what, options, weights, MutantExpectation.ErrorOrConsistent);
    }

    private static bool InData(int offset) => DataRegions.Any(r => offset >= r.Start && offset < r.Start + 4 * r.Tensor.Data.Length);

    private static CheckpointMutant FlipMetadata(Random random, string options, string weights)
    {
        var bytes = (byte[])FixtureBytes.Clone();
        var flips = new List<string>();
        int count = random.Next(5) == 0 ? 10 + random.Next(40) : 1 + random.Next(3);
        while (flips.Count < count)
        {
            // Mostly near the start (superblock, root group, object headers), some anywhere outside the data.
            int offset = random.Next(2) == 0 ? random.Next(Math.Min(2048, bytes.Length)) : random.Next(bytes.Length);
            if (InData(offset)) continue;
            int bit = random.Next(8);
            bytes[offset] ^= (byte)(1 << bit);
            flips.Add($"{offset}.{bit}");
        }
        File.WriteAllBytes(weights, bytes);
        return new($"weights metadata bits flipped at {string.Join(", ", flips.Take(5))}{(flips.Count > 5 ? $" and {flips.Count - 5} more" : "")}", options, weights, MutantExpectation.ErrorOrConsistent);
    }

    /// <summary>The fixture rewritten with chunked, deflated datasets (chunks of half the rows), once.</summary>
    private static readonly Lazy<byte[]> CompressedFixture = new(() =>
    {
        string path = Path.Combine(Path.GetTempPath(), $"elmonative-compressed-{Guid.NewGuid():N}.hdf5");
        var deflate = new PureHDF.VOL.Native.H5DatasetCreation(default!, [new PureHDF.Filters.H5Filter(PureHDF.Filters.DeflateFilter.Id)]);
        var file = new PureHDF.H5File();
        foreach (var t in HostileFiles.FixtureTensors)
        {
            var parts = t.Name.Split('/');
            PureHDF.H5Group group = file;
            foreach (string part in parts[..^1])
            {
                if (!group.TryGetValue(part, out var child)) group[part] = child = new PureHDF.H5Group();
                group = (PureHDF.H5Group)child;
            }
            uint[] chunks = t.Shape.Select((d, i) => (uint)(i == 0 ? Math.Max(1, d / 2) : d)).ToArray();
            group[parts[^1]] = new PureHDF.H5Dataset(t.Data, chunks: chunks, fileDims: t.Shape.Select(d => (ulong)d).ToArray(), datasetCreation: deflate);
        }
        file.Write(path);
        try
        {
            return File.ReadAllBytes(path);
        }
        finally
        {
            File.Delete(path);
        }
    });

    private static CheckpointMutant FlipCompressed(Random random, string options, string weights)
    {
        // Chunk indexes (B-trees) and deflate streams damaged: what a compressed checkpoint gives when a bit flips.
        var bytes = (byte[])CompressedFixture.Value.Clone();
        var flips = new List<string>();
        int count = 1 + random.Next(4);
        for (int k = 0; k < count; k++)
        {
            int offset = random.Next(bytes.Length), bit = random.Next(8);
            bytes[offset] ^= (byte)(1 << bit);
            flips.Add($"{offset}.{bit}");
        }
        File.WriteAllBytes(weights, bytes);
        return new($"compressed weights, bits flipped at {string.Join(", ", flips)}", options, weights, MutantExpectation.ErrorOrConsistent);
    }

    private static CheckpointMutant FlipData(Random random, string options, string weights)
    {
        var (tensor, start) = DataRegions[random.Next(DataRegions.Length)];
        int index = random.Next(tensor.Data.Length), bit = random.Next(32);
        var bytes = (byte[])FixtureBytes.Clone();
        bytes[start + 4 * index + bit / 8] ^= (byte)(1 << (bit % 8));
        File.WriteAllBytes(weights, bytes);
        float value = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(tensor.Data[index]) ^ (1 << bit));
        string what = $"bit {bit} of value {index} of '{tensor.Name}' flipped ({tensor.Data[index]} -> {value})";
        if (!float.IsFinite(value))
            return new(what, options, weights, MutantExpectation.Error) { Words = [$"'{tensor.Name}'", $"index {index:N0}"] };
        var changed = HostileFiles.FixtureTensors.Select(t =>
        {
            if (t.Name != tensor.Name) return t;
            var data = (float[])t.Data.Clone();
            data[index] = value;
            return new CheckpointTensor(t.Name, t.Shape, data);
        }).ToList();
        return new(what, options, weights, MutantExpectation.KnownWeights) { Weights = changed };
    }

    private static CheckpointTensor Pick(Random random) => HostileFiles.FixtureTensors[random.Next(HostileFiles.FixtureTensors.Count)];

    private static CheckpointMutant Reshape(Random random, string options, string weights)
    {
        var target = Pick(random);
        ulong[] shape = target.Shape.Select(d => (ulong)d).ToArray();
        Array data = target.Data;
        string how;
        switch (random.Next(5))
        {
            case 0 when shape.Length >= 2 && shape[^1] != shape[^2]:
                (shape[^1], shape[^2]) = (shape[^2], shape[^1]);
                how = "last two dimensions swapped (same values)";
                break;
            case 1 when shape.Length >= 2:
                shape = [(ulong)target.Data.Length];
                how = "flattened";
                break;
            case 2:
                shape = [1, .. shape];
                how = "a leading dimension of 1 added";
                break;
            case 3:
                int grow = random.Next(shape.Length);
                shape[grow] += 1;
                data = new float[shape.Aggregate(1UL, (a, b) => a * b)];
                how = $"dimension {grow} one larger";
                break;
            default:
                int shrink = random.Next(shape.Length);
                if (shape[shrink] == 1) goto case 2;
                shape[shrink] -= 1;
                data = target.Data.AsSpan(0, (int)shape.Aggregate(1UL, (a, b) => a * b)).ToArray();
                how = $"dimension {shrink} one smaller";
                break;
        }
        HostileFiles.WriteFixtureWith(weights, t => t.Name == target.Name ? (t.Name, data, shape) : HostileFiles.Unchanged(t));
        return new($"'{target.Name}' {CheckpointTensor.FormatShape(target.Shape)} rewritten: {how}", options, weights, MutantExpectation.Error)
        {
            Words = [$"'{target.Name}'", "shape", CheckpointTensor.FormatShape(target.Shape)],
        };
    }

    private static CheckpointMutant OtherDtype(Random random, string options, string weights)
    {
        var target = Pick(random);
        (Array data, string type) = random.Next(4) switch
        {
            0 => ((Array)target.Data.Select(v => (double)v).ToArray(), "float64"),
            1 => (target.Data.Select(v => (int)(v * 1000)).ToArray(), "int32"),
            2 => (target.Data.Select(v => (short)(v * 1000)).ToArray(), "int16"),
            _ => (target.Data.Select(v => (byte)(v * 10)).ToArray(), "uint8"),
        };
        HostileFiles.WriteFixtureWith(weights, t => t.Name == target.Name ? (t.Name, data, t.Shape.Select(d => (ulong)d).ToArray()) : HostileFiles.Unchanged(t));
        return new($"'{target.Name}' rewritten as {type}", options, weights, MutantExpectation.Error) { Words = [$"'{target.Name}'", "float32"] };
    }

    private static CheckpointMutant NonFiniteValue(Random random, string options, string weights)
    {
        var target = Pick(random);
        int index = random.Next(target.Data.Length);
        float value = new[] { float.NaN, float.PositiveInfinity, float.NegativeInfinity }[random.Next(3)];
        HostileFiles.WriteFixtureWith(weights, t =>
        {
            if (t.Name != target.Name) return HostileFiles.Unchanged(t);
            var data = (float[])t.Data.Clone();
            data[index] = value;
            return (t.Name, data, t.Shape.Select(d => (ulong)d).ToArray());
        });
        return new($"'{target.Name}'[{index}] = {value}", options, weights, MutantExpectation.Error)
        {
            Words = [$"'{target.Name}'", $"index {index:N0}", value.ToString(CultureInfo.CurrentCulture)],
        };
    }

    private static CheckpointMutant MissingDataset(Random random, string options, string weights)
    {
        var target = Pick(random);
        HostileFiles.WriteFixtureWith(weights, t => t.Name == target.Name ? null : HostileFiles.Unchanged(t));
        return new($"'{target.Name}' removed", options, weights, MutantExpectation.Error) { Words = [$"'{target.Name}'", "missing"] };
    }

    private static CheckpointMutant LargerArchitecture(Random random, string options, string weights)
    {
        (string name, ulong[] shape) = random.Next(4) switch
        {
            0 => ("RNN_0/RNN/MultiRNNCell/Cell2/LSTMCell/W_0", new ulong[] { 32, 256 }),
            1 => ("RNN_1/RNN/MultiRNNCell/Cell2/LSTMCell/W_0", new ulong[] { 32, 256 }),
            2 => ("CNN_high_2/W_carry", new ulong[] { 124, 124 }),
            _ => ("CNN/W_cnn_5", new ulong[] { 1, 6, 4, 8 }),
        };
        var datasets = HostileFiles.FixtureTensors.Select(HostileFiles.Unchanged).OfType<(string, Array, ulong[])>().ToList();
        datasets.Add((name, new float[shape.Aggregate(1UL, (a, b) => a * b)], shape));
        HostileFiles.WriteHdf5(weights, datasets);
        // Only the forward direction's next layer is looked for: a backward-only extra layer is an unrelated dataset.
        return name.StartsWith("RNN_1", StringComparison.Ordinal)
            ? new($"extra dataset '{name}'", options, weights, MutantExpectation.ErrorOrConsistent)
            : new($"extra dataset '{name}'", options, weights, MutantExpectation.Error) { Words = [$"'{name}'", "do not match"] };
    }

    private static CheckpointMutant MutateOptions(Random random, string options, string weights)
    {
        string text = File.ReadAllText(HostileFiles.FixtureOptions);
        switch (random.Next(10))
        {
            case 0:
            {
                // A duplicate key: "KEY": VALUE, inserted at the start of its object.
                bool inLstm = random.Next(2) == 0;
                string[] keys = inLstm ? ["dim", "projection_dim", "n_layers", "cell_clip", "proj_clip", "use_skip_connections"]
                    : ["filters", "n_highway", "n_characters", "max_characters_per_token", "activation", "embedding"];
                string key = keys[random.Next(keys.Length)];
                var json = HostileFiles.FixtureOptionsJson();
                string value = json[inLstm ? "lstm" : "char_cnn"]![key]!.ToJsonString();
                string section = inLstm ? "lstm" : "char_cnn";
                text = SectionStart(section).Replace(text, $"\"{section}\": {{\"{key}\": {value}, ", 1);
                File.WriteAllText(options, text);
                return new($"options: duplicate key {section}.{key}", options, weights, MutantExpectation.Error) { Words = [$"{section}.{key}", "twice"] };
            }
            case 1:
            {
                int cut = random.Next(text.Length);
                File.WriteAllText(options, text[..cut]);
                // Cutting only the trailing white space leaves the same options.
                return new($"options truncated to {cut} characters", options, weights,
                    cut < text.TrimEnd().Length ? MutantExpectation.Error : MutantExpectation.ErrorOrConsistent);
            }
            case 2:
            {
                var bytes = Encoding.UTF8.GetBytes(text);
                int offset = random.Next(bytes.Length), bit = random.Next(8);
                bytes[offset] ^= (byte)(1 << bit);
                File.WriteAllBytes(options, bytes);
                return new($"options bit {bit} of byte {offset} flipped", options, weights, MutantExpectation.ErrorOrConsistent);
            }
            case 3:
            {
                string padding = random.Next(2) == 0 ? new string(' ', 1 << 20) : new string('[', 100_000);
                File.WriteAllText(options, random.Next(2) == 0 ? text + padding : padding + text);
                return new("options padded past 1 MiB or nested 100,000 deep", options, weights, MutantExpectation.Error);
            }
            default:
            {
                string field = OptionFields[random.Next(OptionFields.Length)];
                bool remove = random.Next(8) == 0;
                bool refused = !remove && random.Next(2) == 0;
                string value = refused ? Refused[random.Next(Refused.Length)] : Plausible[random.Next(Plausible.Length)];
                var json = HostileFiles.FixtureOptionsJson();
                string key = Set(json, field, remove ? null : JsonNode.Parse(value), remove, random);
                File.WriteAllText(options, json.ToJsonString());
                string what = $"options: {key} {(remove ? "removed" : "= " + value)}";
                // A refused value is an error naming the key, except for the clips (any positive number is one) and
                // the filter list where [[1, 4]] is a (smaller) list of filters: their errors name other things.
                bool mustFail = refused && !field.Contains("clip", StringComparison.Ordinal) && !(field == "char_cnn.filters" && value == "[[1, 4]]")
                    && !(field is "lstm" or "char_cnn" && value == "{}") && !(field == "lstm.use_skip_connections" && value == "true");
                string named = field.StartsWith("char_cnn.filters", StringComparison.Ordinal) ? "char_cnn.filters" : field;
                return mustFail
                    ? new(what, options, weights, MutantExpectation.Error) { Words = [named] }
                    : new(what, options, weights, MutantExpectation.ErrorOrConsistent);
            }
        }
    }

    /// <summary>Sets (or removes) <paramref name="field"/>; returns the key as changed (with the filter index).</summary>
    private static string Set(JsonObject json, string field, JsonNode? value, bool remove, Random random)
    {
        if (field.StartsWith("char_cnn.filters[i]", StringComparison.Ordinal))
        {
            var filters = json["char_cnn"]!["filters"]!.AsArray();
            int i = random.Next(filters.Count), j = field[^2] - '0';
            var pair = filters[i]!.AsArray();
            if (remove) pair.RemoveAt(j);
            else pair[j] = value;
            return $"char_cnn.filters[{i}][{j}]";
        }
        var parts = field.Split('.');
        JsonObject parent = json;
        foreach (string part in parts[..^1]) parent = parent[part]!.AsObject();
        if (remove) parent.Remove(parts[^1]);
        else parent[parts[^1]] = value;
        return field;
    }

    private static CheckpointMutant SpecialFile(Random random, TempDirectory dir, string options)
    {
        string[] kinds = ["fifo", "/dev/zero", "/dev/urandom", "directory", "link loop", "link to /dev/zero", "empty", "absent"];
        string kind = kinds[random.Next(kinds.Length)];
        bool ofOptions = random.Next(2) == 0;
        string name = ofOptions ? "special.json" : "special.hdf5";
        string? path = kind switch
        {
            "empty" => Empty(dir.File(name)),
            "absent" => dir.File(name),
            _ => SpecialFileTests.Make(dir, kind, name),
        };
        if (path is null)
        {
            // Not on this system: an empty file instead.
            kind = "empty";
            path = Empty(dir.File(name));
        }
        return new($"{(ofOptions ? "options" : "weights")} path is {kind}", ofOptions ? path : options, ofOptions ? HostileFiles.FixtureWeights : path,
            MutantExpectation.Error)
        {
            Words = [path],
        };
    }

    private static string Empty(string path)
    {
        File.WriteAllBytes(path, []);
        return path;
    }

    private static Regex SectionStart(string section) => section == "lstm" ? LstmStart() : CharCnnStart();

    [GeneratedRegex("\"lstm\"\\s*:\\s*\\{")]
    private static partial Regex LstmStart();

    [GeneratedRegex("\"char_cnn\"\\s*:\\s*\\{")]
    private static partial Regex CharCnnStart();
}
