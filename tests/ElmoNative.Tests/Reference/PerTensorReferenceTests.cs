using ElmoNative.Checkpoints;
using ElmoNative.Text;
using Xunit.Abstractions;

namespace ElmoNative.Tests.Reference;

/// <summary>
/// Every tensor of the forward pass against the float64 reference (<see cref="ScalarElmo"/>), one printed line per
/// layer and tensor, as llm.c's test_gpt2.c does: the char CNN output, each highway, the projection (the distinct
/// tokens of the fixture's sentences and &lt;S&gt;, &lt;/S&gt;), then each LSTM layer and direction (the fixture's 30
/// stateful batches of 3). A tensor passes when its max abs difference is within 3e-6 x max(1, max |reference|):
/// float32 arithmetic over sums of a few thousand terms, far below any real error (a wrong weight, gate or index moves
/// a tensor by its own scale).
/// </summary>
public class PerTensorReferenceTests(ITestOutputHelper output)
{
    private const double RelativeTolerance = 3e-6;

    [Theory]
    [InlineData("allennlp-elmo", "sentences.json")]
    [InlineData("bilm-tf-model", "lm_embeddings_sentences.json")]
    public void EveryTensorMatchesTheFloat64Reference(string fixture, string sentencesFile)
    {
        var checkpoint = Checkpoint.Load(Fixtures.Path_(fixture, "options.json"), Fixtures.Path_(fixture, "lm_weights.hdf5"));
        var reference = new ScalarElmo(checkpoint);
        using var model = ElmoModel.FromCheckpoint(checkpoint);
        var sentences = Fixtures.Sentences(Fixtures.Path_(fixture, sentencesFile));
        var o = checkpoint.Options;
        var rows = new List<(string Tensor, double MaxDiff, double MaxRef)>();

        // Token stages, on every distinct token (boundary tokens included).
        string[] tokens = [CharacterIds.BeginOfSentence, CharacterIds.EndOfSentence,
            .. sentences.SelectMany(s => s).SelectMany(s => s).Distinct(StringComparer.Ordinal)];
        var stages = TokenStages(model, tokens);
        var expected = tokens.Select(t => reference.TokenStagesFromIds(ScalarElmo.CharacterIds(t, o.MaxCharactersPerToken))).ToArray();
        rows.Add(Compare("char_cnn", stages[0], expected.Select(e => e.CharCnn)));
        for (int k = 0; k < o.HighwayLayers; k++) rows.Add(Compare($"highway_{k}", stages[1 + k], expected.Select(e => e.Highways[k])));
        if (o.HasTokenProjection) rows.Add(Compare("projection", stages[^1], expected.Select(e => e.Projection!)));

        // LSTM layers per direction, stateful over the fixture's batches (layer l + 1 = [forward, backward], with skip).
        int p = o.ProjectionDim;
        var diff = new double[o.LstmLayers, 2];
        var scale = new double[o.LstmLayers, 2];
        var state = model.CreateState();
        var states = new ReferenceState?[3];
        for (int i = 0; i < sentences[0].Length; i++)
        {
            var batch = new IReadOnlyList<string>[] { sentences[0][i], sentences[1][i], sentences[2][i] };
            var actual = model.Embed(batch, state);
            for (int b = 0; b < 3; b++)
            {
                var result = reference.Run(batch[b], states[b]);
                states[b] = result.Final;
                for (int l = 0; l < o.LstmLayers; l++)
                {
                    var layer = actual.Layer(b, l + 1);
                    for (int t = 0; t < batch[b].Count; t++)
                        for (int j = 0; j < 2 * p; j++)
                        {
                            double r = result.Layers[l + 1][t][j];
                            diff[l, j / p] = Math.Max(diff[l, j / p], Math.Abs(layer[t * 2 * p + j] - r));
                            scale[l, j / p] = Math.Max(scale[l, j / p], Math.Abs(r));
                        }
                }
            }
        }
        for (int l = 0; l < o.LstmLayers; l++)
            for (int d = 0; d < 2; d++)
                rows.Add(($"lstm_{l}_{(d == 0 ? "forward" : "backward")}", diff[l, d], scale[l, d]));

        var failures = new List<string>();
        foreach (var (tensor, maxDiff, maxRef) in rows)
        {
            bool ok = maxDiff <= RelativeTolerance * Math.Max(1, maxRef);
            string line = $"{fixture,-14} {tensor,-20} max |diff| {maxDiff:E2}   max |ref| {maxRef,9:F4}   {(ok ? "OK" : "FAIL")}";
            output.WriteLine(line);
            if (!ok) failures.Add(line);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>The library's float32 token stages [stage][token * width]: char CNN, each highway, then the projection (if any).</summary>
    private static List<float[]> TokenStages(ElmoModel model, string[] tokens)
    {
        var encoder = model.BiLm.Encoder;
        var cnn = encoder.Cnn;
        int n = tokens.Length, w = cnn.CharsPerToken, f = cnn.Filters, p = encoder.OutputDim;
        var ids = new int[n * w];
        for (int i = 0; i < n; i++) CharacterIds.Map(tokens[i], ids.AsSpan(i * w, w));
        var h = new float[n * f];
        cnn.Forward(ids, n, h);
        var stages = new List<float[]> { (float[])h.Clone() };
        var gate = new float[n * f];
        var candidate = new float[n * f];
        foreach (var highway in encoder.Highways)
        {
            highway.Forward(h, n, gate, candidate, saved: null);
            stages.Add((float[])h.Clone());
        }
        if (encoder.Projection is { } projection)
        {
            var y = new float[n * p];
            projection.Forward(h, f, y, p, n);
            stages.Add(y);
        }
        return stages;
    }

    private static (string, double, double) Compare(string tensor, float[] actual, IEnumerable<double[]> expected)
    {
        double maxDiff = 0, maxRef = 0;
        int i = 0;
        foreach (var row in expected)
            foreach (double r in row)
            {
                maxDiff = Math.Max(maxDiff, Math.Abs(actual[i++] - r));
                maxRef = Math.Max(maxRef, Math.Abs(r));
            }
        Assert.Equal(actual.Length, i);
        return (tensor, maxDiff, maxRef);
    }
}
