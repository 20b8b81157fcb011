using ElmoNative.Text;
using ElmoNative.Training.Data;

namespace ElmoNative.Training.Tests;

/// <summary>Tiny configurations, synthetic windows and a finite-difference checker shared by the trainer tests.</summary>
internal static class TrainingTestSupport
{
    /// <summary>A tiny architecture; W = 8 characters keeps the char CNN small.</summary>
    public static ElmoOptions TinyModel(CharCnnActivation activation = CharCnnActivation.Relu, int highway = 1, bool skip = true,
        bool lstmProjection = true, bool tokenProjection = true, float? cellClip = null, float? projectionClip = null, int layers = 2) =>
        new()
        {
            CharEmbeddingDim = 3,
            Filters = tokenProjection ? [new(1, 2), new(2, 3), new(3, 4)] : [new(1, 2), new(2, 2)],
            HighwayLayers = highway,
            Activation = activation,
            MaxCharactersPerToken = 8,
            CharacterCount = 261,
            LstmDim = lstmProjection ? 6 : 4,
            ProjectionDim = 4,
            LstmLayers = layers,
            CellClip = cellClip,
            ProjectionClip = projectionClip,
            UseSkipConnections = skip,
        };

    public static TrainingOptions Options(ElmoOptions model, int vocabulary = 12, int batch = 2, int steps = 3, int samples = 5, float dropout = 0.1f) =>
        new()
        {
            Model = model,
            VocabularySize = vocabulary,
            BatchSize = batch,
            UnrollSteps = steps,
            NegativeSamples = samples,
            Dropout = dropout,
        };

    /// <summary>The spelling of vocabulary id k in synthetic data.</summary>
    public static string Word(int k) => k switch { 0 => CharacterIds.BeginOfSentence, 1 => CharacterIds.EndOfSentence, _ => "w" + (char)('a' + k % 26) + (k / 26) };

    /// <summary>A window of random tokens; the last <paramref name="paddingRows"/> positions of row 0 are padding (all-zero chars, target -1).</summary>
    public static TrainingWindow RandomWindow(TrainingOptions o, Random random, int paddingPositions = 0)
    {
        int w = o.Model.MaxCharactersPerToken;
        var window = new TrainingWindow(o.BatchSize, o.UnrollSteps, w);
        for (int d = 0; d < 2; d++)
            for (int i = 0; i < o.BatchSize * o.UnrollSteps; i++)
            {
                int id = random.Next(o.VocabularySize);
                window.TokenIds[d][i] = id;
                window.TargetIds[d][i] = random.Next(o.VocabularySize);
                CharacterIds.Map(Word(id), window.CharIds[d].AsSpan(i * w, w));
                if (i >= o.UnrollSteps - paddingPositions && i < o.UnrollSteps)
                {
                    window.CharIds[d].AsSpan(i * w, w).Clear();
                    window.TargetIds[d][i] = -1;
                }
            }
        return window;
    }

    /// <summary>Fills the carried training state with small random values (so the initial state takes part).</summary>
    public static void RandomState(BiLmTrainer trainer, Random random)
    {
        var s = trainer.TrainingState;
        for (int d = 0; d < 2; d++)
            for (int l = 0; l < s.Layers; l++)
            {
                foreach (ref float v in s.Outputs[d][l].AsSpan()) v = (float)(random.NextDouble() - 0.5) * 0.5f;
                foreach (ref float v in s.Cells[d][l].AsSpan()) v = (float)(random.NextDouble() - 0.5);
            }
    }
}

