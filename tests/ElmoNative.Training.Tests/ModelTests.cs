using ElmoNative.Text;
using ElmoNative.Training.Data;

namespace ElmoNative.Training.Tests;

/// <summary>Training lowers the loss; checkpoints reload in the inference path; resume equals an uninterrupted run.</summary>
public class ModelTests
{
    /// <summary>
    /// Windows cut from one stream per row of a repeating synthetic text (a tiny deterministic "language"), the way
    /// the data reader frames sentences: &lt;S&gt; w .. w &lt;/S&gt;, forward stream and its reverse.
    /// </summary>
    internal static IEnumerable<TrainingWindow> StreamWindows(TrainingOptions o, int count, int seed)
    {
        var random = new Random(seed);
        int v = o.VocabularySize, w = o.Model.MaxCharactersPerToken, rows = o.BatchSize, t = o.UnrollSteps;
        // Sentences: a start word then words following a fixed successor table (so the next word is predictable).
        int[] next = Enumerable.Range(0, v).Select(k => 3 + (k * 7 + 5) % (v - 3)).ToArray();
        var streams = new List<int>[rows];
        for (int b = 0; b < rows; b++) streams[b] = [];
        int needed = count * t + 1;
        foreach (var s in streams)
            while (s.Count < needed)
            {
                s.Add(0);
                int word = 3 + random.Next(v - 3);
                int length = 3 + random.Next(5);
                for (int i = 0; i < length; i++)
                {
                    s.Add(word);
                    word = next[word];
                }
                s.Add(1);
            }
        for (int k = 0; k < count; k++)
        {
            var window = new TrainingWindow(rows, t, w);
            for (int b = 0; b < rows; b++)
                for (int i = 0; i < t; i++)
                {
                    int pos = k * t + i;
                    // Forward: token pos predicts pos + 1. Backward: the reversed stream, read from its own start.
                    int fwd = streams[b][pos], fwdNext = streams[b][pos + 1];
                    int rev = streams[b][needed - 1 - pos], revNext = streams[b][needed - 2 - pos];
                    Fill(window, 0, b * t + i, fwd, fwdNext, w);
                    Fill(window, 1, b * t + i, rev, revNext, w);
                }
            yield return window;
        }
    }

    private static void Fill(TrainingWindow window, int d, int index, int token, int target, int w)
    {
        window.TokenIds[d][index] = token;
        window.TargetIds[d][index] = target;
        CharacterIds.Map(TrainingTestSupport.Word(token), window.CharIds[d].AsSpan(index * w, w));
    }

    private static TrainingOptions SmokeOptions() => TrainingTestSupport.Options(
        TrainingTestSupport.TinyModel(highway: 1, cellClip: 3, projectionClip: 3) with { LstmDim = 32, ProjectionDim = 16, Filters = [new(1, 8), new(2, 8), new(3, 16)] },
        vocabulary: 40, batch: 8, steps: 10, samples: 20, dropout: 0.1f);

    [Fact]
    public void TrainingLowersTheLossMarkedly()
    {
        var options = SmokeOptions();
        using var trainer = new BiLmTrainer(options, seed: 1);
        var losses = StreamWindows(options, 300, seed: 2).Select(w => trainer.TrainStep(w)).ToList();
        double first = losses.Take(20).Average(l => 0.5 * (l.ForwardLoss + l.BackwardLoss));
        double last = losses.TakeLast(20).Average(l => 0.5 * (l.ForwardLoss + l.BackwardLoss));
        Assert.Equal(300, trainer.Step);
        Assert.True(last < 0.5 * first, $"loss went from {first:F3} to {last:F3}");
        Assert.All(losses, l => Assert.True(double.IsFinite(l.GradientNorm) && l.GradientNorm > 0));

        // Full-softmax perplexity on fresh windows of the same language is far below the vocabulary size.
        double sum = 0;
        long tokens = 0;
        foreach (var w in StreamWindows(options, 10, seed: 3))
        {
            var e = trainer.Evaluate(w);
            sum += e.ForwardLossSum + e.BackwardLossSum;
            tokens += e.ForwardTokens + e.BackwardTokens;
        }
        double perplexity = Math.Exp(sum / tokens);
        Assert.True(perplexity < 8, $"perplexity {perplexity:F2} (vocabulary {options.VocabularySize})");
    }

    [Fact]
    public void EvaluateChangesNoParameter()
    {
        var options = SmokeOptions();
        using var trainer = new BiLmTrainer(options, seed: 1);
        var before = trainer.Parameters.Data.ToArray();
        var window = StreamWindows(options, 1, seed: 2).First();
        var a = trainer.Evaluate(window);
        trainer.ResetEvaluationState();
        var b = trainer.Evaluate(window);
        Assert.Equal(before, trainer.Parameters.Data);
        Assert.Equal(a, b);
        Assert.Equal(options.BatchSize * options.UnrollSteps, a.ForwardTokens);
    }

    [Fact]
    public void SavedCheckpointReloadsInInferenceWithTheSameActivations()
    {
        var options = SmokeOptions();
        using var trainer = new BiLmTrainer(options, seed: 4);
        foreach (var w in StreamWindows(options, 5, seed: 5)) trainer.TrainStep(w);
        string dir = Path.Combine(Path.GetTempPath(), "elmo-train-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            trainer.Save(dir);
            using var inMemory = trainer.ToInferenceModel();
            using var loaded = ElmoModel.LoadDirectory(dir);
            Assert.Equal(262, loaded.Options.CharacterCount);
            string[][] sentences = [["wa0", "wd0", "wk1"], ["wb0", "wq0"], ["wc0", "we0", "wf0", "wg0", "wh0"]];
            var x = inMemory.Embed(sentences);
            var y = loaded.Embed(sentences);
            Assert.Equal(x.Activations, y.Activations);
            Assert.Contains(x.Activations, v => v != 0f);
            Assert.True(File.Exists(Path.Combine(dir, BiLmTrainer.StateFileName)));
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void InferenceModelComputesTheTrainersTokenRepresentationAndLstmOutputs()
    {
        // The trainer's forward pass (no dropout) and the inference path must agree: compare the top forward LSTM layer of
        // one sentence run as a window from zero state with the inference model's stateless output.
        var options = SmokeOptions() with { BatchSize = 1, UnrollSteps = 4, Dropout = 0f };
        using var trainer = new BiLmTrainer(options, seed: 9);
        using var model = trainer.ToInferenceModel();
        string[] sentence = ["wa0", "wd0"];
        var output = model.Embed([sentence]);
        // Inference runs <S> wa0 wd0 </S>; the trainer's forward stream is the same four tokens.
        var window = new TrainingWindow(1, 4, options.Model.MaxCharactersPerToken);
        string[] stream = [CharacterIds.BeginOfSentence, "wa0", "wd0", CharacterIds.EndOfSentence];
        int w = options.Model.MaxCharactersPerToken;
        for (int i = 0; i < 4; i++)
            for (int d = 0; d < 2; d++)
            {
                CharacterIds.Map(stream[d == 0 ? i : 3 - i], window.CharIds[d].AsSpan(i * w, w));
                window.TargetIds[d][i] = 2;
            }
        trainer.Evaluate(window);
        int p = options.Model.ProjectionDim, layers = options.Model.LstmLayers;
        for (int d = 0; d < 2; d++)
        {
            var top = trainer.Network.LayerOutput(d, layers - 1);
            for (int k = 0; k < sentence.Length; k++)
            {
                int step = d == 0 ? k + 1 : 2 - k; // position of token k in the direction's stream
                var expected = output.Token(0, layers, k).Slice(d * p, p).ToArray();
                var actual = top.Slice(step * p, p).ToArray(); // time-major with B = 1: row = step
                for (int e = 0; e < p; e++) Assert.Equal(expected[e], actual[e], 1e-5f);
            }
        }
    }

    [Fact]
    public void ResumeEqualsUninterrupted()
    {
        var options = SmokeOptions();
        var windows = StreamWindows(options, 12, seed: 6).ToList();
        using var straight = new BiLmTrainer(options, seed: 8);
        var expected = windows.Select(w => straight.TrainStep(w)).ToList();

        string dir = Path.Combine(Path.GetTempPath(), "elmo-train-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            var actual = new List<TrainingStepResult>();
            using (var first = new BiLmTrainer(options, seed: 8))
            {
                actual.AddRange(windows.Take(5).Select(w => first.TrainStep(w)));
                first.Save(dir);
            }
            using var resumed = BiLmTrainer.Load(dir, options);
            Assert.Equal(5, resumed.Step);
            Assert.Equal(8, resumed.Seed);
            actual.AddRange(windows.Skip(5).Select(w => resumed.TrainStep(w)));
            Assert.Equal(expected, actual);
            Assert.Equal(straight.Parameters.Data, resumed.Parameters.Data);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void LoadForEvaluationReadsOnlyTheWeightsAndEvaluatesLikeTheTrainer()
    {
        var options = SmokeOptions();
        using var trainer = new BiLmTrainer(options, seed: 6);
        foreach (var w in StreamWindows(options, 4, seed: 7)) trainer.TrainStep(w);
        var window = StreamWindows(options, 1, seed: 9).First();
        trainer.ResetEvaluationState();
        var expected = trainer.Evaluate(window);
        string dir = Path.Combine(Path.GetTempPath(), "elmo-train-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            trainer.Save(dir);
            // Only options.json and weights.hdf5 are needed: the optimizer and training state are removed.
            File.Delete(Path.Combine(dir, BiLmTrainer.StateFileName));
            File.Delete(Path.Combine(dir, BiLmTrainer.StateInfoFileName));
            using var evaluator = BiLmTrainer.LoadForEvaluation(dir, options);
            Assert.Equal(expected, evaluator.Evaluate(window));
            using var fresh = new BiLmTrainer(options, seed: 0); // what LoadForEvaluation starts from before reading
            Assert.NotEqual(trainer.Parameters.Data.ToArray(), fresh.Parameters.Data.ToArray());
            Assert.Equal(trainer.Parameters.Data.ToArray(), evaluator.Parameters.Data.ToArray());
            var e = Assert.Throws<InvalidDataException>(() => BiLmTrainer.LoadForEvaluation(dir, options with { Model = options.Model with { LstmDim = 64 } }));
            Assert.Contains("lstm.dim", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void LoadRejectsContradictingOptions()
    {
        var options = SmokeOptions();
        string dir = Path.Combine(Path.GetTempPath(), "elmo-train-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            using (var trainer = new BiLmTrainer(options, seed: 8)) trainer.Save(dir);
            var e1 = Assert.Throws<InvalidDataException>(() => BiLmTrainer.Load(dir, options with { Model = options.Model with { LstmDim = 64 } }));
            Assert.Contains("lstm.dim", e1.Message);
            Assert.Contains("options.json", e1.Message);
            var e2 = Assert.Throws<InvalidDataException>(() => BiLmTrainer.Load(dir, options with { VocabularySize = 41 }));
            Assert.Contains("n_tokens_vocab", e2.Message);
            Assert.Contains(BiLmTrainer.StateInfoFileName, e2.Message);
            var e3 = Assert.Throws<InvalidDataException>(() => BiLmTrainer.Load(dir, options with { BatchSize = 4 }));
            Assert.Contains("batch_size", e3.Message);
            File.Delete(Path.Combine(dir, BiLmTrainer.StateFileName));
            Assert.Throws<FileNotFoundException>(() => BiLmTrainer.Load(dir, options));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void SameSeedSameRun()
    {
        var options = SmokeOptions();
        var windows = StreamWindows(options, 3, seed: 6).ToList();
        using var a = new BiLmTrainer(options, seed: 8);
        using var b = new BiLmTrainer(options, seed: 8);
        Assert.Equal(windows.Select(a.TrainStep).ToList(), windows.Select(b.TrainStep).ToList());
        using var c = new BiLmTrainer(options, seed: 9);
        Assert.NotEqual(a.Parameters.Data, c.Parameters.Data);
    }
}
