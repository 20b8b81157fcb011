using ElmoNative.Training.Data;

namespace ElmoNative.Training.Tests;

/// <summary>
/// Finite-difference check of the whole biLM: the training loss (0.5 x (mean forward + mean backward sampled-softmax
/// cross-entropy), dropout on, a fixed random draw) against the analytic gradient of every named tensor, over the
/// option combinations. See <see cref="FiniteDifference"/> for the step and tolerance.
/// </summary>
public class GradientModelTests
{
    public static TheoryData<string> Configurations => new(
        "relu,h1,skip,proj,tokproj",
        "tanh,h0,noskip,noproj,tokproj",
        "relu,h2,skip,proj,notokproj,clips",
        "tanh,h2,skip,proj,tokproj,clips,l1",
        "relu,h0,noskip,noproj,notokproj,clips");

    internal static ElmoOptions Parse(string configuration)
    {
        var parts = configuration.Split(',');
        bool Has(string p) => parts.Contains(p);
        return TrainingTestSupport.TinyModel(
            activation: Has("tanh") ? CharCnnActivation.Tanh : CharCnnActivation.Relu,
            highway: Has("h2") ? 2 : Has("h1") ? 1 : 0,
            skip: Has("skip"),
            lstmProjection: Has("proj"),
            tokenProjection: Has("tokproj"),
            cellClip: Has("clips") ? 0.2f : null,
            projectionClip: Has("clips") ? 0.1f : null,
            layers: Has("l1") ? 1 : 2);
    }

    [Theory]
    [MemberData(nameof(Configurations))]
    public void EveryTensorMatchesFiniteDifferences(string configuration)
    {
        var options = TrainingTestSupport.Options(Parse(configuration));
        using var trainer = new BiLmTrainer(options, seed: 7);
        var random = new Random(11);
        TrainingTestSupport.RandomState(trainer, random);
        var window = TrainingTestSupport.RandomWindow(options, random, paddingPositions: 1);
        ulong key = BiLmTrainer.StepKey(7, 3);
        var p = trainer.Parameters;
        var g = trainer.Gradients;
        SpreadAwayFromKinks(p, random);

        (double, ulong) Loss()
        {
            double total = trainer.Network.Run(window, WindowMode.TrainLoss, key, trainer.TrainingState, commitState: false).Total;
            return (total, trainer.Network.DecisionSignature());
        }
        g.Clear();
        var loss = trainer.Network.Run(window, WindowMode.Train, key, trainer.TrainingState, commitState: false);
        Assert.True(double.IsFinite(loss.Total) && loss.Total > 0);
        Assert.Equal(options.BatchSize * options.UnrollSteps - 1, loss.ForwardCount); // one padding position

        var failures = new List<string>();
        foreach (var t in p.Layout.Tensors)
        {
            // Max-over-time switches are the densest kinks: the char CNN gets a smaller step (noise bound 1.5e-4, so a
            // looser absolute tolerance); everything else 3e-3.
            bool cnn = t.Name.StartsWith("CNN/", StringComparison.Ordinal);
            FiniteDifference.Check(t.Name, p.View(t), g.View(t), Loss, random, probes: 8, failures,
                step: cnn ? 1e-3 : 3e-3, absolute: cnn ? 5e-4 : 2e-4);
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    /// <summary>
    /// bilm-tf starts the convolutions at +-0.05 and the biases at 0, which puts many relu inputs within a step of 0.
    /// For the check, the char CNN and highway parameters are drawn wider (weights +-0.5, biases +-0.5) so that
    /// pre-activations spread over O(1) and few probes land on a kink; the gradient must be right at any point.
    /// </summary>
    internal static void SpreadAwayFromKinks(ParameterSet p, Random random)
    {
        foreach (var t in p.Layout.Tensors)
        {
            if (!(t.Name.StartsWith("CNN/", StringComparison.Ordinal) || t.Name.StartsWith("CNN_high_", StringComparison.Ordinal))) continue;
            if (t.Name.EndsWith("b_carry", StringComparison.Ordinal)) continue;
            foreach (ref float v in p.View(t)) v = (float)(random.NextDouble() - 0.5);
        }
    }

    [Fact]
    public void ClipsEngageInTheClippedConfiguration()
    {
        // The "clips" configurations must really clip somewhere, or the checks above would not cover the clipped paths.
        var options = TrainingTestSupport.Options(Parse("relu,h2,skip,proj,notokproj,clips"));
        using var trainer = new BiLmTrainer(options, seed: 7);
        var random = new Random(11);
        TrainingTestSupport.RandomState(trainer, random);
        var window = TrainingTestSupport.RandomWindow(options, random);
        trainer.Network.Run(window, WindowMode.TrainLoss, 1, trainer.TrainingState, commitState: false);
        var (cells, outputs) = trainer.Network.ClippedCounts();
        Assert.True(cells > 0, "no cell reached the cell clip");
        Assert.True(outputs > 0, "no output reached the projection clip");
    }
}
