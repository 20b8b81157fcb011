using ElmoNative.Tests.Reference;
using Xunit.Abstractions;

namespace ElmoNative.Tests;

/// <summary>
/// Stateful mode (docs/model.md section 5) against <see cref="ScalarElmo"/> carrying one state per batch row.
/// Tolerance: the same float32-vs-double argument as <see cref="OptionCombinationTests"/> (observed ~1e-6 here).
/// </summary>
public class StatefulTests(ITestOutputHelper output)
{
    private const double Tolerance = 2e-5;

    private static readonly Lazy<ElmoModel> model = new(() => ElmoModel.FromCheckpoint(SharedModels.Tiny));
    private static readonly Lazy<ScalarElmo> reference = new(() => new ScalarElmo(SharedModels.Tiny));

    private static int Layers => SharedModels.TinyOptions.LstmLayers;

    private static ElmoBatchOutput Embed(string[][] batch, ElmoState? state) =>
        model.Value.Embed(batch.Select(s => (IReadOnlyList<string>)s).ToArray(), state);

    /// <summary>The reference's view of a stream of batches: one state per row; absent = zero.</summary>
    private sealed class ReferenceStream
    {
        public List<ReferenceState?> Rows { get; } = [];

        /// <summary>Runs a batch, returns each row's result, updates the states as docs/model.md section 5 says.</summary>
        public ReferenceResult[] Run(string[][] batch)
        {
            var results = new ReferenceResult[batch.Length];
            for (int r = 0; r < batch.Length; r++)
            {
                var initial = r < Rows.Count ? Rows[r] : null; // a wider batch: new rows start from zero
                results[r] = reference.Value.Run(batch[r], initial);
                if (batch[r].Length == 0) continue; // an all-padding row does not change its stored state
                while (Rows.Count <= r) Rows.Add(null);
                Rows[r] = results[r].Final;
            }
            return results; // rows past the batch's width are untouched
        }
    }

    private static double CompareStates(ElmoState state, ReferenceStream stream)
    {
        // The library stores a row once some batch had a non-empty sentence in it or in a later row.
        Assert.Equal(stream.Rows.Count, state.Rows);
        double error = 0;
        for (int r = 0; r < stream.Rows.Count; r++)
            error = Math.Max(error, Compare.StateError(state, r, stream.Rows[r] ?? ReferenceState.Zero(SharedModels.TinyOptions), Layers));
        return error;
    }

    [Fact]
    public void BatchesOfVaryingWidthFollowTheReference()
    {
        var random = new Random(11);
        string[] S(int n) => TestSentences.RandomSentence(random, n);
        string[] Empty() => [];
        // Widths 3, 5 (wider: rows 3-4 start from zero), 2 (narrower: rows 2-4 kept), 4 with an empty row,
        // 1, 7 whose new rows 5 and 6 are empty / non-empty, 3 with all rows empty, and 6 again.
        var batches = new[]
        {
            new[] { S(5), S(12), S(1) },
            new[] { S(3), S(30), S(7), S(2), S(9) },
            new[] { S(8), S(4) },
            new[] { S(6), Empty(), S(11), S(5) },
            new[] { S(40) },
            new[] { S(2), S(3), S(4), S(5), S(6), Empty(), S(7) },
            new[] { Empty(), Empty(), Empty() },
            new[] { S(1), S(2), S(3), S(4), S(5), S(6) },
        };
        var state = model.Value.CreateState();
        var stream = new ReferenceStream();
        double outputError = 0, stateError = 0;
        foreach (var batch in batches)
        {
            var actual = Embed(batch, state);
            var expected = stream.Run(batch);
            for (int r = 0; r < batch.Length; r++) outputError = Math.Max(outputError, Compare.SentenceError(actual, r, expected[r]));
            stateError = Math.Max(stateError, CompareStates(state, stream));
        }
        output.WriteLine($"stateful: output error {outputError:E2}, state error {stateError:E2}, rows {state.Rows}");
        Assert.Equal(7, state.Rows);
        Assert.True(outputError <= Tolerance, $"output error {outputError:E2}");
        Assert.True(stateError <= Tolerance, $"state error {stateError:E2}");
    }

    private static (float[] M, float[] C) Snapshot(ElmoState state, int row)
    {
        var m = new List<float>();
        var c = new List<float>();
        for (int d = 0; d < 2; d++)
            for (int l = 0; l < Layers; l++)
            {
                m.AddRange(state.Output(d, l, row).ToArray());
                c.AddRange(state.Cell(d, l, row).ToArray());
            }
        return (m.ToArray(), c.ToArray());
    }

    [Fact]
    public void EmptyRowAndRowsPastTheWidthKeepTheirStateBitForBit()
    {
        var random = new Random(12);
        var state = model.Value.CreateState();
        Embed([TestSentences.RandomSentence(random, 6), TestSentences.RandomSentence(random, 9), TestSentences.RandomSentence(random, 4)], state);
        var before = Enumerable.Range(0, 3).Select(r => Snapshot(state, r)).ToArray();

        // Row 1 empty, row 2 past the width.
        Embed([TestSentences.RandomSentence(random, 5), []], state);
        Assert.Equal(3, state.Rows);
        var after = Enumerable.Range(0, 3).Select(r => Snapshot(state, r)).ToArray();
        Assert.False(Compare.BitIdentical(before[0].M, after[0].M), "row 0 ran a sentence: its state must change");
        for (int r = 1; r < 3; r++)
        {
            Assert.True(Compare.BitIdentical(before[r].M, after[r].M), $"row {r}: m changed");
            Assert.True(Compare.BitIdentical(before[r].C, after[r].C), $"row {r}: c changed");
        }
    }

    [Fact]
    public void StatefulDiffersFromStatelessAfterTheFirstBatchAndResetRestartsFromZero()
    {
        var random = new Random(13);
        var first = new[] { TestSentences.RandomSentence(random, 7), TestSentences.RandomSentence(random, 3) };
        var second = new[] { TestSentences.RandomSentence(random, 4), TestSentences.RandomSentence(random, 10) };
        var stateless = Embed(second, null);
        var state = model.Value.CreateState();
        Assert.Equal(0, state.Rows);

        // The first batch starts from zeros: identical to stateless.
        var a = Embed(first, state);
        var a0 = Embed(first, null);
        Assert.True(Compare.BitIdentical(a.Activations, a0.Activations));
        Assert.Equal(2, state.Rows);

        // The second continues from the first: the LSTM layers differ (layer 0 does not: it is context-independent).
        var b = Embed(second, state);
        for (int r = 0; r < 2; r++)
        {
            Assert.True(Compare.BitIdentical(stateless.Layer(r, 0), b.Layer(r, 0)));
            Assert.False(Compare.BitIdentical(stateless.Layer(r, 1), b.Layer(r, 1)), $"row {r}: state was not carried");
        }

        // Reset: back to zeros, so the same batch now gives the stateless vectors bit for bit.
        state.Reset();
        Assert.Equal(0, state.Rows);
        var c = Embed(second, state);
        Assert.True(Compare.BitIdentical(stateless.Activations, c.Activations));
        // A new state from the model is independent of the used one.
        var other = model.Value.CreateState();
        Assert.True(Compare.BitIdentical(stateless.Activations, Embed(second, other).Activations));
    }

    [Fact]
    public void NewRowsOfAWiderBatchStartFromZero()
    {
        var random = new Random(14);
        var state = model.Value.CreateState();
        Embed([TestSentences.RandomSentence(random, 8)], state);
        var wide = new[] { TestSentences.RandomSentence(random, 5), TestSentences.RandomSentence(random, 12), TestSentences.RandomSentence(random, 2) };
        var actual = Embed(wide, state);
        var stateless = Embed(wide, null);
        Assert.False(Compare.BitIdentical(stateless.Layer(0, 1), actual.Layer(0, 1)), "row 0 must continue from its state");
        for (int r = 1; r < 3; r++)
            for (int l = 0; l < actual.LayerCount; l++)
                Assert.True(Compare.BitIdentical(stateless.Layer(r, l), actual.Layer(r, l)), $"row {r} layer {l}: a new row must start from zero");
    }
}

/// <summary>
/// &lt;S&gt; and &lt;/S&gt; (docs/model.md sections 2-4): the representation the token path gives them is the one the sentence path
/// feeds the LSTM at the first and last step.
/// </summary>
public class SentenceBoundaryTests(ITestOutputHelper output)
{
    private const double Tolerance = 2e-5; // float32 vs double, see OptionCombinationTests

    [Fact]
    public void BoundaryTokensMatchReference()
    {
        using var model = ElmoModel.FromCheckpoint(SharedModels.Tiny);
        var reference = new ScalarElmo(SharedModels.Tiny);
        int p = model.Options.ProjectionDim;
        var tokens = model.EmbedTokens(["<S>", "</S>"]);
        double error = Math.Max(
            Compare.VectorError(tokens.AsSpan(0, p), reference.TokenRepresentation("<S>")),
            Compare.VectorError(tokens.AsSpan(p, p), reference.TokenRepresentation("</S>")));
        output.WriteLine($"<S>, </S> token error {error:E2}");
        Assert.True(error <= Tolerance, $"error {error:E2}");
        // The two boundaries are different vectors, and differ from an ordinary token.
        Assert.False(Compare.BitIdentical(tokens.AsSpan(0, p), tokens.AsSpan(p, p)));
    }

    [Fact]
    public void SentencePathFeedsTheTokenPathBoundaries()
    {
        using var model = ElmoModel.FromCheckpoint(SharedModels.Tiny);
        var reference = new ScalarElmo(SharedModels.Tiny);
        int p = model.Options.ProjectionDim, layers = model.Options.LstmLayers;
        var sentence = TestSentences.RandomSentence(new Random(21), 9);

        var state = model.CreateState();
        var actual = model.Embed([sentence], state);

        // Feed the reference LSTM exactly what the token path gives: EmbedTokens("<S>"), the library's own layer 0,
        // EmbedTokens("</S>"). Any difference left is LSTM rounding only.
        var boundaries = model.EmbedTokens(["<S>", "</S>"]);
        double[] Vector(ReadOnlySpan<float> v) => v.ToArray().Select(x => (double)x).ToArray();
        var steps = new List<double[]> { Vector(boundaries.AsSpan(0, p)) };
        for (int t = 0; t < sentence.Length; t++) steps.Add(Vector(actual.Token(0, 0, t)[..p]));
        steps.Add(Vector(boundaries.AsSpan(p, p)));
        var expected = reference.RunFromRepresentations(steps);

        double outputError = Compare.SentenceError(actual, 0, expected);
        // The backward state after the sentence is its output ON <S> (and the forward one on </S>): the boundary steps
        // themselves, which the output (boundaries removed) does not show.
        double stateError = Compare.StateError(state, 0, expected.Final, layers);
        output.WriteLine($"sentence path with token-path boundaries: output error {outputError:E2}, boundary-step state error {stateError:E2}");
        Assert.True(outputError <= Tolerance, $"output error {outputError:E2}");
        Assert.True(stateError <= Tolerance, $"state error {stateError:E2}");

        // The check is sensitive: a reference fed a different <S> (that of "<s>") disagrees clearly.
        steps[0] = reference.TokenRepresentation("<s>");
        var wrong = reference.RunFromRepresentations(steps);
        double wrongError = Compare.StateError(state, 0, wrong.Final, layers);
        output.WriteLine($"with a wrong <S>: state error {wrongError:E2}");
        Assert.True(wrongError > 1e-3, $"a wrong <S> went unnoticed ({wrongError:E2})");
    }
}
