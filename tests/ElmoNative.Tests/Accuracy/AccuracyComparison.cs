using System.Globalization;
using System.Text;
using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Parameters;
using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests.Accuracy;

/// <summary>
/// The per-stage accuracy comparison of docs/accuracy.md. Two float32 implementations against the float64 reference
/// (<see cref="PlainElmo{T}"/> with T = double, which is <see cref="ScalarElmo"/> bit for bit):
/// <list type="bullet">
/// <item>ElmoNative's fast path (the model's layers, and for the LSTM the kernels its layer calls, in the same order);</item>
/// <item>the plain float32 implementation (<see cref="PlainElmo{T}"/> with T = float).</item>
/// </list>
/// Stage rows measure the error a stage ADDS: each stage is fed the float64 reference's input to that stage rounded to
/// float, and its output is compared with the reference's output of the same stage. The end-to-end rows run each
/// implementation over the whole sentences (stateless) and compare every output layer.
/// </summary>
public static class AccuracyComparison
{
    /// <summary>Runs the comparison on <paramref name="checkpoint"/> with <paramref name="sentences"/>.</summary>
    public static AccuracyReport Run(string name, Checkpoint checkpoint, IReadOnlyList<string[]> sentences)
    {
        var o = checkpoint.Options;
        var reference = new PlainElmo<double>(checkpoint);
        var plain = new PlainElmo<float>(checkpoint);
        using var model = ElmoModel.FromCheckpoint(checkpoint);
        var stages = new List<StageError>();
        TokenStages(o, checkpoint, reference, plain, model, sentences, stages);

        // The LSTM: the reference's steps, every (direction, layer) in one set of rows.
        var steps = new List<LstmStepValues<double>>();
        var referenceLayers = sentences.Select(s => reference.Run(s, steps.Add)).ToArray();
        LstmStages(o, checkpoint, plain, steps, stages);

        // End to end: every output layer of embed and of the plain float32 ELMo against the reference.
        var endToEnd = new List<StageError>();
        var batch = model.Embed(sentences);
        var plainLayers = sentences.Select(s => plain.Run(s)).ToArray();
        int dim = 2 * o.ProjectionDim;
        var allFast = new ErrorStatistics();
        var allPlain = new ErrorStatistics();
        for (int l = 0; l <= o.LstmLayers; l++)
        {
            var fast = new ErrorStatistics();
            var plainError = new ErrorStatistics();
            for (int s = 0; s < sentences.Count; s++)
            {
                var layer = batch.Layer(s, l);
                for (int t = 0; t < sentences[s].Length; t++)
                {
                    double[] expected = referenceLayers[s][l][t];
                    fast.Add(layer.Slice(t * dim, dim), expected);
                    plainError.Add(plainLayers[s][l][t], expected);
                    allFast.Add(layer.Slice(t * dim, dim), expected);
                    allPlain.Add(plainLayers[s][l][t], expected);
                }
            }
            endToEnd.Add(new StageError(l == 0 ? "layer 0 (tokens)" : $"layer {l} (lstm {l - 1})", fast, plainError));
        }
        endToEnd.Add(new StageError("all layers", allFast, allPlain));
        return new AccuracyReport(name, o, sentences.Count, sentences.Sum(s => s.Length), stages, endToEnd);
    }

    private static void TokenStages(ElmoOptions o, Checkpoint checkpoint, PlainElmo<double> reference, PlainElmo<float> plain,
        ElmoModel model, IReadOnlyList<string[]> sentences, List<StageError> stages)
    {
        int width = o.MaxCharactersPerToken, f = o.Filters.Sum(x => x.Count), p = o.ProjectionDim, e = o.CharEmbeddingDim;
        string[] tokens = ["<S>", "</S>", .. sentences.SelectMany(s => s).Distinct(StringComparer.Ordinal)];
        int n = tokens.Length;
        var ids = tokens.Select(t => ScalarElmo.CharacterIds(t, width)).ToArray();

        // 1. Character embedding: a lookup in both (the fast path copies the checkpoint's float32 rows, as plain does).
        var table = checkpoint[CheckpointLayout.CharEmbedding];
        var embedding = new StageError("char embedding", new ErrorStatistics(), new ErrorStatistics());
        var embedded = new double[n][,];
        for (int i = 0; i < n; i++)
        {
            embedded[i] = reference.CharEmbedding(ids[i]);
            var plainX = plain.CharEmbedding(ids[i]);
            for (int t = 0; t < width; t++)
                for (int k = 0; k < e; k++)
                {
                    embedding.Fast.Add(ids[i][t] == 0 ? 0f : table[(ids[i][t] - 1) * e + k], embedded[i][t, k]);
                    embedding.Plain.Add(plainX[t, k], embedded[i][t, k]);
                }
        }
        stages.Add(embedding);

        // 2. Each filter bank: convolution, max over time, activation (the fast CNN runs all banks; its columns are split).
        var encoder = model.BiLm.Encoder;
        var cnnFast = new float[n * f];
        var flatIds = ids.SelectMany(x => x).ToArray();
        encoder.Cnn.Forward(flatIds, n, cnnFast);
        var cnnReference = embedded.Select(reference.CharCnn).ToArray();
        var cnnPlain = ids.Select(x => plain.CharCnn(plain.CharEmbedding(x))).ToArray();
        int offset = 0;
        foreach (var filter in o.Filters)
        {
            var row = new StageError($"cnn width {filter.Width} ({filter.Count} filters) + max + {o.Activation.ToString().ToLowerInvariant()}",
                new ErrorStatistics(), new ErrorStatistics());
            for (int i = 0; i < n; i++)
                for (int q = offset; q < offset + filter.Count; q++)
                {
                    row.Fast.Add(cnnFast[i * f + q], cnnReference[i][q]);
                    row.Plain.Add(cnnPlain[i][q], cnnReference[i][q]);
                }
            stages.Add(row);
            offset += filter.Count;
        }

        // 3. Highway layers, 4. projection: each fed the reference's input rounded to float.
        var input = cnnReference;
        for (int k = 0; k < o.HighwayLayers; k++)
        {
            var expected = input.Select(x => reference.Highway(k, x)).ToArray();
            var h = Flatten(input);
            encoder.Highways[k].Forward(h, n, new float[n * f], new float[n * f], saved: null);
            stages.Add(Compare($"highway {k}", h, input.Select(x => plain.Highway(k, ToFloat(x))), expected));
            input = expected;
        }
        if (encoder.Projection is { } projection)
        {
            var expected = input.Select(x => reference.Projection(x)!).ToArray();
            var y = new float[n * p];
            projection.Forward(Flatten(input), f, y, p, n);
            stages.Add(Compare("token projection", y, input.Select(x => plain.Projection(ToFloat(x))!), expected));
        }
    }

    /// <summary>
    /// The LSTM stages of every (direction, layer), each fed the reference's inputs of every step rounded to float, with
    /// the fast path's arithmetic of LstmWithProjection.Forward (src/ElmoNative/Layers/LstmWithProjection.cs): z = x W_x
    /// (packed GEMM), z += B, z += m W_h (packed GEMM, beta 1); LstmCell.Step; m = h W_P (packed GEMM); clip.
    /// </summary>
    private static void LstmStages(ElmoOptions o, Checkpoint checkpoint, PlainElmo<float> plain, List<LstmStepValues<double>> steps,
        List<StageError> stages)
    {
        int p = o.ProjectionDim, h = o.LstmDim, g4 = 4 * h;
        using var source = WeightSource.FromCheckpoint(checkpoint);
        var weights = LayerWeights.Packed(source);
        for (int l = 0; l < o.LstmLayers; l++)
            for (int d = 0; d < 2; d++)
            {
                var rows = steps.Where(s => s.Direction == d && s.Layer == l).ToArray();
                int r = rows.Length;
                string name = $"lstm {l} {(d == 0 ? "forward" : "backward")}";
                string w0 = CheckpointLayout.LstmWeight(d, l);
                using var wx = weights.Matrix(w0, 0, p);
                using var wh = weights.Matrix(w0, p, p);
                using var bias = weights.Tensor(CheckpointLayout.LstmBias(d, l));
                using var wp = o.HasLstmProjection ? weights.Matrix(CheckpointLayout.LstmProjection(d, l)) : null;

                var z = new float[r * g4];
                wx.Multiply(r, Flatten(rows.Select(s => s.Input)), p, 0f, z, g4);
                Activations.AddRowVector(bias.Values, z, r, g4);
                wh.Multiply(r, Flatten(rows.Select(s => s.PreviousOutput)), p, 1f, z, g4);
                stages.Add(Compare($"{name} gates z", z, rows.Select(s => plain.Gates(d, l, ToFloat(s.Input), ToFloat(s.PreviousOutput))),
                    rows.Select(s => s.Gates)));

                var cell = Flatten(rows.Select(s => s.PreviousCell));
                var hidden = new float[r * h];
                LstmCell.Step(Flatten(rows.Select(s => s.Gates)), cell, hidden, r, h, 1f, o.CellClip ?? float.PositiveInfinity);
                var plainCells = rows.Select(s => plain.Cell(ToFloat(s.Gates), ToFloat(s.PreviousCell))).ToArray();
                stages.Add(Compare($"{name} cell c", cell, plainCells.Select(x => x.Cell), rows.Select(s => s.Cell)));
                stages.Add(Compare($"{name} hidden h", hidden, plainCells.Select(x => x.Hidden), rows.Select(s => s.Hidden)));

                var m = new float[r * p];
                if (wp is null) Flatten(rows.Select(s => s.Hidden)).AsSpan(0, r * p).CopyTo(m);
                else wp.Multiply(r, Flatten(rows.Select(s => s.Hidden)), h, 0f, m, p);
                if (o.ProjectionClip is { } clip) Activations.Clip(m, clip);
                stages.Add(Compare($"{name} projection + clip m", m, rows.Select(s => plain.Output(d, l, ToFloat(s.Hidden))),
                    rows.Select(s => s.Output)));
            }
    }

    private static StageError Compare(string stage, float[] fast, IEnumerable<float[]> plain, IEnumerable<double[]> expected)
    {
        var row = new StageError(stage, new ErrorStatistics(), new ErrorStatistics());
        int i = 0;
        foreach (var (p, e) in plain.Zip(expected))
        {
            row.Fast.Add(fast.AsSpan(i, e.Length), e);
            row.Plain.Add(p, e);
            i += e.Length;
        }
        if (i != fast.Length) throw new InvalidOperationException($"{stage}: {fast.Length} fast values, {i} reference values");
        return row;
    }

    private static float[] ToFloat(double[] x) => x.Select(v => (float)v).ToArray();

    private static float[] Flatten(IEnumerable<double[]> rows) => rows.SelectMany(x => x).Select(v => (float)v).ToArray();
}

/// <summary>The result of <see cref="AccuracyComparison.Run"/>: per-stage rows and end-to-end rows.</summary>
public sealed record AccuracyReport(string Name, ElmoOptions Options, int Sentences, int Tokens,
    IReadOnlyList<StageError> Stages, IReadOnlyList<StageError> EndToEnd)
{
    /// <summary>The end-to-end error over all output layers.</summary>
    public StageError All => EndToEnd[^1];

    /// <summary>The report as a markdown section (the tables of docs/accuracy.md).</summary>
    public string ToMarkdown()
    {
        var o = Options;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"### {Name}");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"H {o.LstmDim}, P {o.ProjectionDim}, {o.LstmLayers} LSTM layers, F {o.Filters.Sum(x => x.Count)} ({o.Filters.Count} banks), " +
            $"{o.HighwayLayers} highway, skip {(o.UseSkipConnections ? "on" : "off")}; {Sentences} sentences, {Tokens} tokens.");
        text.AppendLine();
        text.AppendLine("| stage | values | max abs fast | max abs plain | fast / plain | RMS fast | RMS plain | max rel fast | max rel plain |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in Stages) Line(text, row);
        foreach (var row in EndToEnd) Line(text, row, "end to end: ");
        return text.ToString();
    }

    private static void Line(StringBuilder text, StageError row, string prefix = "")
    {
        string ratio = row.Plain.MaxAbs > 0 ? (row.Fast.MaxAbs / row.Plain.MaxAbs).ToString("F2", CultureInfo.InvariantCulture)
            : row.Fast.MaxAbs == 0 ? "-" : "inf";
        text.AppendLine(CultureInfo.InvariantCulture,
            $"| {prefix}{row.Stage} | {row.Fast.Count:N0} | {row.Fast.MaxAbs:E2} | {row.Plain.MaxAbs:E2} | {ratio} | {row.Fast.Rms:E2} | " +
            $"{row.Plain.Rms:E2} | {row.Fast.MaxRelative:E2} | {row.Plain.MaxRelative:E2} |");
    }
}
