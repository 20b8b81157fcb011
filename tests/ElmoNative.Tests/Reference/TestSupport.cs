using ElmoNative.Checkpoints;

namespace ElmoNative.Tests.Reference;

/// <summary>A fresh temporary directory, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "elmonative-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>Random checkpoints made harder to get right by accident, and helpers to compare them.</summary>
public static class TestCheckpoints
{
    /// <summary>
    /// Modifies a random checkpoint in place: every bias gets random noise (RandomCheckpoint leaves most biases at zero,
    /// which would hide a bias added in the wrong place), and the LSTM gate matrices W_0 are multiplied by
    /// <paramref name="lstmScale"/> so that gates saturate and the cell / output grow past the clips. (Scaling W_P_0 as
    /// well makes the recurrence chaotic: float rounding differences then grow ~1.3x per step and a float32 engine can
    /// no longer be compared pointwise with a double reference over 150 steps.)
    /// </summary>
    public static Checkpoint Perturb(Checkpoint checkpoint, int seed, double lstmScale = 1, double biasStd = 0.3)
    {
        var random = new Random(seed);
        foreach (var (name, tensor) in checkpoint.Tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            string leaf = name[(name.LastIndexOf('/') + 1)..];
            var data = tensor.Data;
            if (leaf.StartsWith("b_", StringComparison.Ordinal) || leaf == "B")
                for (int i = 0; i < data.Length; i++) data[i] += (float)(biasStd * Normal(random));
            else if (leaf == "W_0" && lstmScale != 1)
                for (int i = 0; i < data.Length; i++) data[i] = (float)(data[i] * lstmScale);
        }
        return checkpoint;
    }

    public static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    /// <summary>Field-by-field equality of options (names the field that differs), then ElmoOptions' own equality.</summary>
    public static void AssertOptionsEqual(ElmoOptions expected, ElmoOptions actual)
    {
        Assert.Equal(expected.CharEmbeddingDim, actual.CharEmbeddingDim);
        Assert.Equal(expected.Filters.ToArray(), actual.Filters.ToArray());
        Assert.Equal(expected.HighwayLayers, actual.HighwayLayers);
        Assert.Equal(expected.Activation, actual.Activation);
        Assert.Equal(expected.CharacterCount, actual.CharacterCount);
        Assert.Equal(expected.MaxCharactersPerToken, actual.MaxCharactersPerToken);
        Assert.Equal(expected.LstmDim, actual.LstmDim);
        Assert.Equal(expected.ProjectionDim, actual.ProjectionDim);
        Assert.Equal(expected.LstmLayers, actual.LstmLayers);
        Assert.Equal(expected.CellClip, actual.CellClip);
        Assert.Equal(expected.ProjectionClip, actual.ProjectionClip);
        Assert.Equal(expected.UseSkipConnections, actual.UseSkipConnections);
        Assert.Equal(expected, actual); // and the record's own equality agrees
    }

    /// <summary>Every tensor of <paramref name="expected"/> is in <paramref name="actual"/> with the same shape and bits.</summary>
    public static void AssertTensorsIdentical(Checkpoint expected, Checkpoint actual)
    {
        Assert.Equal(expected.Tensors.Keys.OrderBy(k => k, StringComparer.Ordinal), actual.Tensors.Keys.OrderBy(k => k, StringComparer.Ordinal));
        foreach (var (name, tensor) in expected.Tensors)
        {
            var other = actual.Tensors[name];
            Assert.Equal(tensor.Shape, other.Shape);
            Assert.Equal(tensor.Data.Length, other.Data.Length);
            for (int i = 0; i < tensor.Data.Length; i++)
                if (BitConverter.SingleToInt32Bits(tensor.Data[i]) != BitConverter.SingleToInt32Bits(other.Data[i]))
                    Assert.Fail($"{name}[{i}]: saved {tensor.Data[i]:R}, loaded {other.Data[i]:R}");
        }
    }
}

/// <summary>Random sentences with the tokens that tend to break things.</summary>
public static class TestSentences
{
    /// <summary>Tokens that exercise the character mapping: long, multi-byte, combining marks, emoji, boundaries.</summary>
    public static readonly string[] Tricky =
    [
        "a", "I", "the", "cat", ".", ",", "don't", "U.S.", "1984", "--",
        "supercalifragilisticexpialidocious",                      // 34 bytes: > 18, < 48
        "pneumonoultramicroscopicsilicovolcanoconiosis-and-then-some-more", // 64 bytes: cut at 48
        new string('x', 48), new string('y', 49), new string('z', 18), new string('w', 19),
        "café", "naïve", "Ελληνικά", "русский", "日本語の文章", "中文", "한국어",
        "😀", "👍🏽", "🇫🇷", "👩‍👩‍👧",                               // emoji, skin tone, flag, ZWJ sequence
        "e\u0301", "a\u0308\u0304", "Z\u0351\u0360\u0362",           // combining marks
        new string('a', 17) + "é",                                  // 19 bytes: W = 20 cuts the é in half
        new string('b', 16) + "😀",                                 // 20 bytes: W = 20 cuts the emoji after 2 bytes
        new string('c', 47) + "日",                                 // 50 bytes: W = 50 cuts after 1 byte of 日
        string.Concat(Enumerable.Repeat("日本", 12)),              // 72 bytes of CJK
        "<S>", "</S>", "<UNK>", "<s>",
    ];

    private static readonly string[] Plain =
        ["the", "of", "and", "to", "in", "is", "was", "he", "for", "it", "with", "as", "his", "on", "be", "at", "by", "had"];

    public static string RandomToken(Random random)
    {
        int kind = random.Next(10);
        if (kind < 4) return Plain[random.Next(Plain.Length)];
        if (kind < 7) return Tricky[random.Next(Tricky.Length)];
        // Random printable ASCII word of 1-60 characters.
        int length = 1 + random.Next(random.Next(2) == 0 ? 8 : 60);
        var chars = new char[length];
        for (int i = 0; i < length; i++) chars[i] = (char)random.Next(33, 127);
        return new string(chars);
    }

    public static string[] RandomSentence(Random random, int length)
    {
        var s = new string[length];
        for (int i = 0; i < length; i++) s[i] = RandomToken(random);
        return s;
    }
}

/// <summary>Compares library output with the reference.</summary>
public static class Compare
{
    /// <summary>
    /// Max of |actual - expected| / max(1, |expected|) over all layers of sentence <paramref name="row"/> of
    /// <paramref name="batch"/>; also checks shapes and that positions past the sentence's end are exactly zero.
    /// </summary>
    public static double SentenceError(ElmoBatchOutput batch, int row, ReferenceResult expected)
    {
        int n = batch.Lengths[row], d = batch.Dim;
        Assert.Equal(expected.Layers.Length, batch.LayerCount);
        Assert.Equal(expected.Layers[0].Length, n);
        double error = 0;
        for (int l = 0; l < batch.LayerCount; l++)
        {
            var layer = batch.Layer(row, l);
            for (int t = 0; t < n; t++)
                for (int j = 0; j < d; j++)
                    error = Math.Max(error, Relative(layer[t * d + j], expected.Layers[l][t][j]));
            // Padding past the end: zero in the full activation tensor.
            int start = ((row * batch.LayerCount + l) * batch.MaxLength + n) * d, end = ((row * batch.LayerCount + l) * batch.MaxLength + batch.MaxLength) * d;
            for (int i = start; i < end; i++)
                if (batch.Activations[i] != 0) Assert.Fail($"row {row} layer {l}: padding position holds {batch.Activations[i]}");
        }
        for (int t = 0; t < batch.MaxLength; t++) Assert.Equal(t < n, batch.Mask[row * batch.MaxLength + t]);
        return error;
    }

    public static double Relative(double actual, double expected)
    {
        if (double.IsNaN(actual) || double.IsNaN(expected)) return double.PositiveInfinity;
        return Math.Abs(actual - expected) / Math.Max(1.0, Math.Abs(expected));
    }

    /// <summary>Max relative-ish error of a [P] span against a reference vector.</summary>
    public static double VectorError(ReadOnlySpan<float> actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double error = 0;
        for (int i = 0; i < expected.Length; i++) error = Math.Max(error, Relative(actual[i], expected[i]));
        return error;
    }

    /// <summary>Max relative-ish error of the library's stored state of <paramref name="row"/> against a reference state.</summary>
    public static double StateError(ElmoState state, int row, ReferenceState expected, int layers)
    {
        double error = 0;
        for (int d = 0; d < 2; d++)
            for (int l = 0; l < layers; l++)
            {
                error = Math.Max(error, VectorError(state.Output(d, l, row), expected.M[d * layers + l]));
                error = Math.Max(error, VectorError(state.Cell(d, l, row), expected.C[d * layers + l]));
            }
        return error;
    }

    /// <summary>True when the two float arrays are identical bit for bit.</summary>
    public static bool BitIdentical(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++)
            if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i])) return false;
        return true;
    }
}

/// <summary>Small models shared by the tests of a class (the model is thread-safe; the checkpoint is not modified after creation).</summary>
public static class SharedModels
{
    /// <summary>E 4, F 28 (4 banks), 1 highway, H 24, P 12, 2 layers, clips 3, skip on, W 50; all biases random.</summary>
    public static ElmoOptions TinyOptions { get; } = new()
    {
        CharEmbeddingDim = 4,
        Filters = [new(1, 4), new(2, 8), new(3, 8), new(4, 8)],
        HighwayLayers = 1,
        Activation = CharCnnActivation.Relu,
        LstmDim = 24,
        ProjectionDim = 12,
        LstmLayers = 2,
        CellClip = 3,
        ProjectionClip = 3,
        UseSkipConnections = true,
    };

    private static readonly Lazy<Checkpoint> tiny = new(() => TestCheckpoints.Perturb(RandomCheckpoint.Create(TinyOptions, 77), 77, lstmScale: 2));

    /// <summary>The checkpoint of <see cref="TinyOptions"/> (seed 77, W_0 scaled 2x so that the clips engage now and then).</summary>
    public static Checkpoint Tiny => tiny.Value;
}
