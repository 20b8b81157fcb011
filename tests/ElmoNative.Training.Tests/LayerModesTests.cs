using ElmoNative.Checkpoints;
using ElmoNative.Layers;
using ElmoNative.Text;

namespace ElmoNative.Training.Tests;

/// <summary>
/// Each layer is written once and runs in two modes: inference (weights packed from a checkpoint, nothing saved, its
/// fast paths) and training (named views of the parameter block, forward saves for backward). Both modes of the same
/// weights must compute the same function; they may differ in rounding only (packed and plain GEMMs, pad-aware and
/// ragged convolutions sum in different orders), so they are compared within 1e-5 x max(1, |value|).
/// </summary>
public class LayerModesTests
{
    private const float Tolerance = 1e-5f;

    private static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= Tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"{what}[{i}]: inference {expected[i]}, training {actual[i]}");
    }

    [Theory]
    [InlineData(CharCnnActivation.Relu, 1, true)]
    [InlineData(CharCnnActivation.Tanh, 2, false)]
    public void TokenEncoderInferenceEqualsTraining(CharCnnActivation activation, int highway, bool tokenProjection)
    {
        var options = TrainingTestSupport.Options(TrainingTestSupport.TinyModel(activation: activation, highway: highway, tokenProjection: tokenProjection));
        using var trainer = new BiLmTrainer(options, seed: 3);
        GradientModelTests.SpreadAwayFromKinks(trainer.Parameters, new Random(4)); // O(1) pre-activations, not +-0.05
        var model = options.Model;
        using var source = WeightSource.FromCheckpoint(trainer.ToCheckpoint());
        using var inference = new TokenEncoder(model, Parameters.LayerWeights.Packed(source));
        var training = new TokenEncoder(model, Parameters.LayerWeights.Views(trainer.Parameters, trainer.Gradients));

        string[] tokens = [CharacterIds.BeginOfSentence, "a", "the", "river", "bank", "Ünïcödé", new string('x', 60), CharacterIds.EndOfSentence];
        int n = tokens.Length, w = model.MaxCharactersPerToken, p = model.ProjectionDim;
        var ids = new int[n * w];
        for (int i = 0; i < n; i++) CharacterIds.Map(tokens[i], ids.AsSpan(i * w, w));
        var expected = new float[n * p];
        using (var ws = new InferenceWorkspace()) inference.Encode(ids, n, ws, expected);
        var actual = new float[n * p];
        training.Forward(ids, n, new TokenEncoderSaved(model, n), actual);
        AssertClose(expected, actual, "token representation");
    }

    [Theory]
    [InlineData(true, null, null)]
    [InlineData(false, 0.3f, 0.1f)]
    public void LstmInferenceEqualsTraining(bool projection, float? cellClip, float? projectionClip)
    {
        var options = TrainingTestSupport.Options(TrainingTestSupport.TinyModel(lstmProjection: projection, cellClip: cellClip, projectionClip: projectionClip));
        using var trainer = new BiLmTrainer(options, seed: 5);
        var model = options.Model;
        using var source = WeightSource.FromCheckpoint(trainer.ToCheckpoint());
        using var inference = new LstmWithProjection(model, 1, 0, Parameters.LayerWeights.Packed(source));
        var training = new LstmWithProjection(model, 1, 0, Parameters.LayerWeights.Views(trainer.Parameters, trainer.Gradients));

        const int T = 5, B = 3;
        int p = model.ProjectionDim, h = model.LstmDim;
        var random = new Random(6);
        float Next(float scale) => (float)((random.NextDouble() * 2 - 1) * scale);
        var saved = new LstmSaved(T, B, p, h, p);
        for (int i = 0; i < T * B * p; i++) saved.Input[i] = Next(1);
        for (int i = 0; i < B * p; i++) saved.Outputs[i] = Next(0.3f);
        for (int i = 0; i < B * h; i++) saved.Cells[i] = Next(0.5f);

        // Inference on the same rows: every row runs every step (active = B, offsets = t B).
        float[] m = saved.Outputs[..(B * p)], c = saved.Cells[..(B * h)], y = new float[T * B * p];
        using (var ws = new InferenceWorkspace()) inference.Forward(saved.Input, T, saved.Active, saved.Offsets, m, c, y, ws);
        training.Forward(saved);
        AssertClose(y, saved.Outputs.AsSpan(B * p, T * B * p), "m_t");
        AssertClose(m, saved.Outputs.AsSpan(T * B * p, B * p), "final m");
        AssertClose(c, saved.Cells.AsSpan(T * B * h, B * h), "final c");
    }

    [Theory]
    [InlineData(true, 3)]
    [InlineData(false, 2)]
    public void LstmStackInferenceEqualsTraining(bool skip, int layers)
    {
        var options = TrainingTestSupport.Options(TrainingTestSupport.TinyModel(skip: skip, layers: layers, cellClip: 0.4f, projectionClip: 0.2f));
        using var trainer = new BiLmTrainer(options, seed: 7);
        var model = options.Model;
        using var source = WeightSource.FromCheckpoint(trainer.ToCheckpoint());
        using var inference = new LstmStack(model, 1, Parameters.LayerWeights.Packed(source));
        var training = new LstmStack(model, 1, Parameters.LayerWeights.Views(trainer.Parameters, trainer.Gradients));
        Assert.Equal(layers, inference.Layers);

        const int T = 6, B = 3;
        int p = model.ProjectionDim;
        var random = new Random(8);
        var saved = new LstmStackSaved(model, T, B, keep: 1f); // training without dropout: the same function as inference
        for (int i = 0; i < T * B * p; i++) saved.Input[i] = (float)(random.NextDouble() * 2 - 1);
        var x = saved.Input.ToArray();
        training.Forward(saved, dropout: true, key: 11);

        // Inference over the same rows as a packed batch in which every row runs every step, from zero state.
        using var ws = new BiLmWorkspace { Batch = B, MaxSteps = T };
        for (int s = 0; s < B; s++) { ws.Order(B)[s] = s; ws.Steps(B)[s] = T; }
        for (int t = 0; t < T; t++) ws.Active(T)[t] = B;
        for (int t = 0; t <= T; t++) ws.Offsets(T + 1)[t] = t * B;
        inference.Forward(x, null, ws);
        for (int l = 0; l < layers; l++)
            AssertClose(ws.LayerOutput(1, l, T * B * p), saved.LayerOutputs[l], $"layer {l} output");
        AssertClose(ws.LayerOutput(1, layers - 1, T * B * p), saved.Output, "top output");
    }
}
