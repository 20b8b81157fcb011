using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Kernels.Gemm;
using ElmoNative.Layers;
using ElmoNative.Tests.Reference;
using FsCheck.Xunit;

namespace ElmoNative.Tests;

/// <summary>
/// Inference runs an LSTM step one column block of the gates at a time (the gates of U units side by side in the packed
/// weights), for groups of at most <see cref="InferenceWorkspace.LstmRowGroup"/> rows, the blocks split over the thread
/// budget, steps of fewer than <see cref="InferenceWorkspace.LstmFewRows"/> rows taking x W_x + B from a chunk GEMM. None of that may change a bit: every block width, row group and thread count gives the outputs and final
/// states of the whole-step computation written out here with the unreordered weights (x W_x + B, + m W_h over all 4H
/// columns, the cell over the whole [rows, 4H] block, the projection). Also: disposing a model frees its memory and makes
/// it unusable, twice is harmless.
/// </summary>
public class LstmBlockStepTests
{
    [Property(MaxTest = 25)]
    public void Every_block_width_row_group_and_thread_count_gives_the_bits_of_whole_steps(int seed, byte batchSeed, byte unitSeed, byte groupSeed, byte fewSeed, bool threads)
    {
        var options = SharedModels.TinyOptions;
        var random = new Random(seed);
        int batch = 1 + batchSeed % 7, p = options.ProjectionDim, h = options.LstmDim, pIn = options.ProjectionDim;
        int[] lengths = Enumerable.Range(0, batch).Select(_ => 1 + random.Next(12)).OrderDescending().ToArray();
        int steps = lengths[0];
        int[] active = new int[steps], offsets = new int[steps + 1];
        for (int t = 0; t < steps; t++)
        {
            active[t] = lengths.Count(n => n > t);
            offsets[t + 1] = offsets[t] + active[t];
        }
        float[] x = Enumerable.Range(0, offsets[steps] * pIn).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        float[] m0 = Enumerable.Range(0, batch * p).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] c0 = Enumerable.Range(0, batch * h).Select(_ => random.NextSingle() - 0.5f).ToArray();
        var expected = WholeSteps(SharedModels.Tiny, options, 1, 1, x, steps, active, offsets, m0, c0);

        using var weights = WeightSource.FromCheckpoint(SharedModels.Tiny);
        using var lstm = new LstmWithProjection(options, 1, 1, ElmoNative.Parameters.LayerWeights.Packed(weights), 1 + unitSeed % 30);
        using var ws = new InferenceWorkspace { LstmRowGroup = 1 + groupSeed % 8, LstmFewRows = 1 + fewSeed % 10 };
        float[] y = new float[offsets[steps] * p], m = (float[])m0.Clone(), c = (float[])c0.Clone();
        try
        {
            if (threads) GemmParallel.MinParallelFlops = 1; // every step splits its blocks over two threads
            using (KernelSettings.LimitCurrentThread(threads ? 2 : 1)) lstm.Forward(x, steps, active, offsets, m, c, y, ws);
        }
        finally
        {
            GemmParallel.MinParallelFlops = GemmParallel.DefaultMinParallelFlops;
        }
        string context = $"units {1 + unitSeed % 30}, row group {ws.LstmRowGroup}, few rows {ws.LstmFewRows}, threads {threads}";
        Assert.True(Compare.BitIdentical(expected.Y, y), $"outputs differ ({context})");
        Assert.True(Compare.BitIdentical(expected.M, m), $"final m differs ({context})");
        Assert.True(Compare.BitIdentical(expected.C, c), $"final c differs ({context})");
    }

    [Fact]
    public void The_gate_block_order_is_a_permutation_that_keeps_each_units_gates_together()
    {
        foreach ((int cells, int units) in new[] { (24, 8), (24, 16), (4096, 64), (7, 3), (5, 64) })
        {
            int[] order = LstmWithProjection.GateBlockOrder(cells, units);
            Assert.Equal(Enumerable.Range(0, 4 * cells), order.Order());
            for (int u0 = 0; u0 < cells; u0 += units)
            {
                int width = Math.Min(units, cells - u0);
                for (int gate = 0; gate < 4; gate++)
                    for (int u = 0; u < width; u++) Assert.Equal(gate * cells + u0 + u, order[4 * u0 + gate * width + u]);
            }
        }
    }

    /// <summary>
    /// The LSTM layer as whole steps over all 4H columns in TensorFlow's gate order, with the same packed GEMMs and cell
    /// kernel the layer uses: the order of every sum the blocked step must keep.
    /// </summary>
    private static (float[] Y, float[] M, float[] C) WholeSteps(Checkpoint checkpoint, ElmoOptions options, int direction, int layer,
        float[] x, int steps, int[] active, int[] offsets, float[] m0, float[] c0)
    {
        int p = options.ProjectionDim, h = options.LstmDim, pIn = options.ProjectionDim, gates = 4 * h;
        float[] w0 = checkpoint[CheckpointLayout.LstmWeight(direction, layer)], bias = checkpoint[CheckpointLayout.LstmBias(direction, layer)];
        using var wx = PackedMatrix.Pack(w0.AsSpan(0, pIn * gates), pIn, gates, gates);
        using var wh = PackedMatrix.Pack(w0.AsSpan(pIn * gates, p * gates), p, gates, gates);
        using var wp = options.HasLstmProjection ? PackedMatrix.Pack(checkpoint[CheckpointLayout.LstmProjection(direction, layer)], h, p, p) : null;
        float cellClip = options.CellClip ?? float.PositiveInfinity, projectionClip = options.ProjectionClip ?? float.PositiveInfinity;
        float[] y = new float[offsets[steps] * p], m = (float[])m0.Clone(), c = (float[])c0.Clone(), hidden = new float[active[0] * h];
        for (int t = 0; t < steps; t++)
        {
            int a = active[t], r = offsets[t];
            float[] z = new float[a * gates];
            Sgemm.Multiply(a, x.AsSpan(r * pIn, a * pIn), pIn, wx, 0f, z, gates);
            Activations.AddRowVector(bias, z, a, gates);
            Sgemm.Multiply(a, m.AsSpan(0, a * p), p, wh, 1f, z, gates);
            LstmCell.Step(z, c, hidden, a, h, LstmWithProjection.ForgetBias, cellClip);
            var mNext = m.AsSpan(0, a * p);
            if (wp is null) hidden.AsSpan(0, a * p).CopyTo(mNext);
            else Sgemm.Multiply(a, hidden, h, wp, 0f, mNext, p);
            if (!float.IsPositiveInfinity(projectionClip)) Activations.Clip(mNext, projectionClip);
            mNext.CopyTo(y.AsSpan(r * p, a * p));
        }
        return (y, m, c);
    }

    [Fact]
    public void A_disposed_model_refuses_work_and_disposing_twice_is_harmless()
    {
        var model = ElmoModel.FromCheckpoint(SharedModels.Tiny);
        var before = model.Embed(["the", "cat"]);
        Assert.Equal(2, before.Lengths[0]);
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.Embed(["the", "cat"]));
        Assert.Throws<ObjectDisposedException>(() => model.EmbedTokens(["cat"]));
        model.Dispose();
    }

    [Fact]
    public async Task Calls_running_when_the_model_is_disposed_finish_with_the_same_vectors()
    {
        var sentences = Enumerable.Range(0, 40).Select(i => (IReadOnlyList<string>)TestSentences.RandomSentence(new Random(i), 5 + i % 30)).ToArray();
        using (var reference = ElmoModel.FromCheckpoint(SharedModels.Tiny))
        {
            var expected = reference.Embed(sentences);
            var model = ElmoModel.FromCheckpoint(SharedModels.Tiny);
            using var started = new ManualResetEventSlim();
            var worker = Task.Run(() =>
            {
                started.Set();
                return model.Embed(sentences);
            });
            started.Wait();
            model.Dispose(); // the running call keeps the memory until it returns; new calls are refused
            ElmoBatchOutput? actual = null;
            try
            {
                actual = await worker;
            }
            catch (ObjectDisposedException)
            {
                // The call had not yet started when Dispose ran: refused cleanly.
            }
            if (actual is not null)
                for (int s = 0; s < sentences.Length; s++)
                    for (int l = 0; l < expected.LayerCount; l++)
                        Assert.True(Compare.BitIdentical(expected.Layer(s, l), actual.Layer(s, l)), $"sentence {s}, layer {l}");
            Assert.Throws<ObjectDisposedException>(() => model.Embed(sentences));
        }
    }
}
