using ElmoNative.Kernels;
using ElmoNative.Training.Optimization;

namespace ElmoNative.Training.Tests;

/// <summary>
/// Adagrad as bilm-tf runs it (docs/model.md section 9), step after step, against the same update written out by hand
/// in double precision:
/// <code>
///   g = g * scale;  n = |g|;  if n &gt; clip: g = g * clip / n      (the gradient of loss x unroll_steps, global-norm clipped)
///   a = a + g^2;    w = w - lr * g / sqrt(a)                       (a starts at 1.0; no epsilon anywhere)
/// </code>
/// The values are chosen so that each plausible wrong formula is off by far more than the tolerance: sqrt left out
/// (g / a), the accumulator updated after the step (g / sqrt(a_old)), the learning rate applied twice, an epsilon
/// (1e-10 .. 1e-7, inside or outside the sqrt: the tiny-gradient test, where sqrt(a) is 1e-6), a wrong initial
/// accumulator (the trainer test), the clip measured before the scale, and touched softmax rows left out of the norm.
/// </summary>
public class AdagradFormulaTests
{
    private const double LearningRate = 0.2;

    /// <summary>The hand-written reference: one clipped Adagrad step over every element, in double.</summary>
    private static double ReferenceStep(double[] w, double[] a, double[] g, double scale, double clip, double lr)
    {
        double sum = 0;
        for (int i = 0; i < g.Length; i++)
        {
            g[i] *= scale;
            sum += g[i] * g[i];
        }
        double norm = Math.Sqrt(sum);
        if (norm > clip)
            for (int i = 0; i < g.Length; i++) g[i] *= clip / norm;
        for (int i = 0; i < g.Length; i++)
        {
            a[i] += g[i] * g[i];
            w[i] -= lr * g[i] / Math.Sqrt(a[i]);
        }
        return norm;
    }

    /// <summary>|expected - actual| &lt;= tolerance * (floor + |expected|), element by element.</summary>
    private static void AssertClose(double[] expected, float[] actual, double tolerance, double floor, string what, int step)
    {
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = tolerance * (floor + Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= allowed,
                $"{what}[{i}] after step {step}: expected {expected[i]:R}, got {actual[i]:R} (difference {Math.Abs(expected[i] - actual[i]):E2})");
        }
    }

    /// <summary>
    /// 37 elements (whole SIMD vectors of 8 or 16 lanes and a scalar tail), 5 steps, gradients of -3 .. 3 and some
    /// exact zeros (which must leave both w and a unchanged), accumulators from 1.0: the kernel is the formula.
    /// </summary>
    [Fact]
    public void KernelFollowsTheFormulaOverSeveralSteps()
    {
        const int N = 37, Steps = 5;
        var random = new Random(11);
        double[] w = new double[N], a = new double[N];
        float[] wf = new float[N], af = new float[N];
        for (int i = 0; i < N; i++)
        {
            w[i] = wf[i] = (float)(random.NextDouble() * 2 - 1);
            a[i] = af[i] = 1f;
        }
        for (int step = 1; step <= Steps; step++)
        {
            var g = new double[N];
            var gf = new float[N];
            for (int i = 0; i < N; i++)
                g[i] = gf[i] = (i + step) % 7 == 0 ? 0f : (float)((random.NextDouble() * 2 - 1) * 3);
            AdagradUpdate.Apply(wf, af, gf, (float)LearningRate);
            ReferenceStep(w, a, g, scale: 1, clip: double.PositiveInfinity, LearningRate);
            AssertClose(a, af, 1e-6, 0, "accumulator", step);
            AssertClose(w, wf, 1e-6, 1, "parameter", step);
        }
    }

    /// <summary>
    /// Gradients of 1e-7 .. 6e-7 on accumulators starting at 1e-14 (sqrt(a) below 1e-6): each step moves w by a good
    /// fraction of lr whatever the size of g. Any epsilon of 1e-10 or more, inside or outside the sqrt, changes the
    /// steps by more than 1e-4 relative; the tolerance is 1e-5.
    /// </summary>
    [Fact]
    public void KernelHasNoEpsilon()
    {
        const int N = 19, Steps = 4;
        double[] w = new double[N], a = new double[N];
        float[] wf = new float[N], af = new float[N];
        for (int i = 0; i < N; i++)
        {
            w[i] = wf[i] = 0.5f + i / 64f;
            a[i] = af[i] = 1e-14f;
        }
        for (int step = 1; step <= Steps; step++)
        {
            var g = new double[N];
            var gf = new float[N];
            for (int i = 0; i < N; i++) g[i] = gf[i] = (i % 2 == 0 ? 1e-7f : -2e-7f) * (1 + i % 3);
            AdagradUpdate.Apply(wf, af, gf, (float)LearningRate);
            ReferenceStep(w, a, g, scale: 1, clip: double.PositiveInfinity, LearningRate);
            AssertClose(a, af, 1e-5, 0, "accumulator", step);
            AssertClose(w, wf, 1e-5, 1, "parameter", step);
        }
        // w[0] took four steps of lr g / sqrt(1e-14 + k g^2) with g = 1e-7: 0.2 (1/sqrt(2) + 1/sqrt(3) + 1/2 + 1/sqrt(5)).
        Assert.True(Math.Abs(0.5 - wf[0]) > 0.4, $"w[0] moved only {0.5 - wf[0]}");
    }

    /// <summary>
    /// The optimizer step of the trainer (<see cref="Adagrad.Step(Span{float}, Span{float}, Span{float}, float, float, float)"/>):
    /// scale by unroll_steps, clip to the global norm, update. Six steps alternate between a gradient whose scaled norm is
    /// above the clip (clipping engages) and one below it, with accumulators carried from step to step.
    /// </summary>
    [Fact]
    public void DenseStepScalesClipsAndUpdatesOverSeveralSteps()
    {
        const int N = 41;
        const float Scale = 20f, Clip = 10f;
        var random = new Random(5);
        double[] w = new double[N], a = new double[N];
        float[] wf = new float[N], af = new float[N];
        for (int i = 0; i < N; i++)
        {
            w[i] = wf[i] = (float)(random.NextDouble() - 0.5);
            a[i] = af[i] = 1f;
        }
        for (int step = 1; step <= 6; step++)
        {
            // Scaled norms of about 20 * 0.6 * sqrt(41 / 3) (clipped) or 20 * 0.02 * sqrt(41 / 3) (not clipped).
            double size = step % 2 == 1 ? 0.6 : 0.02;
            var g = new double[N];
            var gf = new float[N];
            for (int i = 0; i < N; i++) g[i] = gf[i] = (float)((random.NextDouble() * 2 - 1) * size);
            double norm = Adagrad.Step(wf, af, gf, Scale, Clip, (float)LearningRate);
            double expectedNorm = ReferenceStep(w, a, g, Scale, Clip, LearningRate);
            Assert.Equal(step % 2 == 1, expectedNorm > Clip);
            Assert.True(Math.Abs(norm - expectedNorm) <= 1e-6 * expectedNorm, $"norm {norm} after step {step}, expected {expectedNorm}");
            AssertClose(a, af, 2e-6, 0, "accumulator", step);
            AssertClose(w, wf, 2e-6, 1, "parameter", step);
        }
    }

    /// <summary>
    /// The sparse step (a dense block, then a [V, P] softmax table and its [V] bias of which only some rows have a
    /// gradient) against the dense reference over the whole block: the touched rows and their biases count in the norm
    /// and are updated; the untouched rows keep their parameters and accumulators bit for bit.
    /// </summary>
    [Fact]
    public void SparseStepIsTheDenseFormulaAndLeavesUntouchedRowsAlone()
    {
        const int Dense = 13, V = 9, P = 5;
        const float Scale = 20f, Clip = 10f;
        int weightOffset = Dense, biasOffset = Dense + V * P, size = biasOffset + V;
        int[] touchedRows = [7, 2, 4];
        var random = new Random(3);
        double[] w = new double[size], a = new double[size];
        float[] wf = new float[size], af = new float[size];
        for (int i = 0; i < size; i++)
        {
            w[i] = wf[i] = (float)(random.NextDouble() - 0.5);
            a[i] = af[i] = 1f;
        }
        var touched = new TouchedRows(V);
        for (int step = 1; step <= 4; step++)
        {
            touched.Clear();
            foreach (int r in touchedRows.Skip(step % 2)) touched.Add(r); // steps alternate between 3 and 2 touched rows
            var g = new double[size];
            var gf = new float[size];
            double size1 = step <= 2 ? 0.5 : 0.01; // clipped in steps 1-2, not in 3-4
            for (int i = 0; i < Dense; i++) g[i] = gf[i] = (float)((random.NextDouble() * 2 - 1) * size1);
            foreach (int r in touched.Rows)
            {
                // The touched rows carry most of the norm, so leaving them out of it changes the clip factor.
                for (int j = 0; j < P; j++) g[weightOffset + r * P + j] = gf[weightOffset + r * P + j] = (float)((random.NextDouble() * 2 - 1) * 3 * size1);
                g[biasOffset + r] = gf[biasOffset + r] = (float)(3 * size1);
            }
            float[] untouchedW = (float[])wf.Clone(), untouchedA = (float[])af.Clone();
            double norm = Adagrad.Step(wf, af, gf, new SparseTail(weightOffset, P, biasOffset, touched), Scale, Clip, (float)LearningRate);
            double expectedNorm = ReferenceStep(w, a, g, Scale, Clip, LearningRate);
            Assert.Equal(step <= 2, expectedNorm > Clip);
            Assert.True(Math.Abs(norm - expectedNorm) <= 1e-6 * expectedNorm, $"norm {norm} after step {step}, expected {expectedNorm}");
            AssertClose(a, af, 2e-6, 0, "accumulator", step);
            AssertClose(w, wf, 2e-6, 1, "parameter", step);
            for (int r = 0; r < V; r++)
            {
                if (touched.Rows.Contains(r)) continue;
                for (int j = 0; j < P; j++)
                {
                    int i = weightOffset + r * P + j;
                    Assert.Equal((untouchedW[i], untouchedA[i]), (wf[i], af[i]));
                }
                Assert.Equal((untouchedW[biasOffset + r], untouchedA[biasOffset + r]), (wf[biasOffset + r], af[biasOffset + r]));
            }
        }
    }

    /// <summary>
    /// The trainer with bilm-tf's defaults (learning rate 0.2, initial accumulator 1.0, clip 10): a fresh trainer's
    /// accumulators are all 1.0, and after one window every parameter moved by exactly the Adagrad step of the gradient
    /// it applied (the trainer leaves the scaled, clipped gradient in its gradient block), whose norm is the reported
    /// norm or the clip, whichever is smaller.
    /// </summary>
    [Fact]
    public void TrainerStartsAtTheInitialAccumulatorAndAppliesTheStep()
    {
        var options = TrainingTestSupport.Options(TrainingTestSupport.TinyModel(), dropout: 0f);
        Assert.Equal((0.2f, 1f, 10f), (options.LearningRate, options.InitialAccumulator, options.ClipNorm));
        using var trainer = new BiLmTrainer(options, seed: 21);
        Assert.All(trainer.Accumulators.Data, v => Assert.Equal(1f, v));

        float[] before = (float[])trainer.Parameters.Data.Clone();
        var result = trainer.TrainStep(TrainingTestSupport.RandomWindow(options, new Random(22)));
        float[] g = trainer.Gradients.Data, a = trainer.Accumulators.Data, w = trainer.Parameters.Data;
        double sum = 0, moved = 0;
        for (int i = 0; i < g.Length; i++)
        {
            sum += (double)g[i] * g[i];
            double expectedA = 1.0 + (double)g[i] * g[i];
            double expectedW = before[i] - LearningRate * g[i] / Math.Sqrt(expectedA);
            Assert.True(Math.Abs(a[i] - expectedA) <= 1e-6 * expectedA, $"accumulator {i}: {a[i]:R}, expected {expectedA:R}");
            Assert.True(Math.Abs(w[i] - expectedW) <= 1e-6 * (1 + Math.Abs(expectedW)), $"parameter {i}: {w[i]:R}, expected {expectedW:R}");
            moved = Math.Max(moved, Math.Abs(w[i] - before[i]));
        }
        double expectedNorm = Math.Min(result.GradientNorm, options.ClipNorm);
        Assert.True(Math.Abs(Math.Sqrt(sum) - expectedNorm) <= 1e-5 * expectedNorm, $"applied gradient norm {Math.Sqrt(sum)}, expected {expectedNorm}");
        Assert.True(moved > 1e-3, $"the largest parameter change is only {moved}");
    }
}
