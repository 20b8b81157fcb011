using ElmoNative.Checkpoints;
using ElmoNative.Layers;
using ElmoNative.Tests.Reference;
using FsCheck.Xunit;

namespace ElmoNative.Tests;

/// <summary>
/// The LSTM computes x W_x + B for a chunk of steps in one GEMM, the chunk bounded by the gate buffer's size
/// (<see cref="InferenceWorkspace.GateChunkFloats"/>). A row's GEMM result does not depend on how many rows share the
/// call, so every chunk size gives the same outputs and final states bit for bit: one step per chunk, a few rows, or
/// every step at once. Also: disposing a model frees its memory and makes it unusable, twice is harmless.
/// </summary>
public class GateChunkTests
{
    [Property(MaxTest = 25)]
    public void Every_chunk_size_gives_the_same_bits(int seed, byte batchSeed, byte chunkSeed)
    {
        var options = SharedModels.TinyOptions;
        var random = new Random(seed);
        int batch = 1 + batchSeed % 7, p = options.ProjectionDim, h = options.LstmDim, gates = 4 * h;
        int[] lengths = Enumerable.Range(0, batch).Select(_ => 1 + random.Next(12)).OrderDescending().ToArray();
        int steps = lengths[0];
        int[] active = new int[steps], offsets = new int[steps + 1];
        for (int t = 0; t < steps; t++)
        {
            active[t] = lengths.Count(n => n > t);
            offsets[t + 1] = offsets[t] + active[t];
        }
        float[] x = Enumerable.Range(0, offsets[steps] * p).Select(_ => random.NextSingle() * 2 - 1).ToArray();
        float[] m0 = Enumerable.Range(0, batch * p).Select(_ => random.NextSingle() - 0.5f).ToArray();
        float[] c0 = Enumerable.Range(0, batch * h).Select(_ => random.NextSingle() - 0.5f).ToArray();
        using var weights = WeightSource.FromCheckpoint(SharedModels.Tiny);
        var lstm = new LstmWithProjection(options, 1, 1, ElmoNative.Parameters.LayerWeights.Packed(weights));

        (float[] Y, float[] M, float[] C) Run(int chunkFloats)
        {
            using var ws = new InferenceWorkspace { GateChunkFloats = chunkFloats };
            float[] y = new float[offsets[steps] * p], m = (float[])m0.Clone(), c = (float[])c0.Clone();
            lstm.Forward(x, steps, active, offsets, m, c, y, ws);
            return (y, m, c);
        }

        var whole = Run(InferenceWorkspace.DefaultGateChunkFloats); // every step in one chunk at this size
        Assert.True(offsets[steps] * gates <= InferenceWorkspace.DefaultGateChunkFloats);
        foreach (int chunk in new[] { 1, gates * (1 + chunkSeed % 9), gates * batch + 1 })
        {
            var chunked = Run(chunk);
            Assert.True(Compare.BitIdentical(whole.Y, chunked.Y), $"outputs differ at chunk {chunk} floats");
            Assert.True(Compare.BitIdentical(whole.M, chunked.M), $"final m differs at chunk {chunk} floats");
            Assert.True(Compare.BitIdentical(whole.C, chunked.C), $"final c differs at chunk {chunk} floats");
        }
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
