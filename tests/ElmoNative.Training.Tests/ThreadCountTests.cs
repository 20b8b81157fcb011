using ElmoNative.Kernels;

namespace ElmoNative.Training.Tests;

/// <summary>Tests that change <see cref="KernelSettings.MaxThreads"/> (process-wide) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelThreadsCollection
{
    public const string Name = "kernel-threads";
}

/// <summary>
/// Training gives the same numbers on one thread as on two: the directions run side by side only when two threads are
/// allowed, and every GEMM split gives each output element to one thread, so no sum is reordered by the thread count.
/// </summary>
[Collection(KernelThreadsCollection.Name)]
public class ThreadCountTests
{
    [Fact]
    public void TrainingOnOneThreadEqualsTrainingOnTwo()
    {
        // Large enough that the softmax and LSTM GEMMs are split between threads when two are allowed.
        var options = TrainingTestSupport.Options(
            TrainingTestSupport.TinyModel(highway: 1, cellClip: 3, projectionClip: 3) with { LstmDim = 96, ProjectionDim = 48, Filters = [new(1, 16), new(2, 16), new(3, 32)] },
            vocabulary: 600, batch: 16, steps: 12, samples: 300, dropout: 0.1f);
        var windows = ModelTests.StreamWindows(options, 4, seed: 12).ToList();

        (List<TrainingStepResult> Steps, float[] Parameters) Run(int threads)
        {
            int saved = KernelSettings.MaxThreads;
            KernelSettings.MaxThreads = threads;
            try
            {
                using var trainer = new BiLmTrainer(options, seed: 5);
                var steps = windows.Select(trainer.TrainStep).ToList();
                return (steps, trainer.Parameters.Data.ToArray());
            }
            finally
            {
                KernelSettings.MaxThreads = saved;
            }
        }

        var one = Run(1);
        var two = Run(2);
        Assert.Equal(one.Steps, two.Steps);
        Assert.Equal(one.Parameters, two.Parameters);
    }
}
