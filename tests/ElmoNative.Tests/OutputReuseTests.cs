using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests;

/// <summary>
/// Embed into a reused <see cref="ElmoBatchOutput"/> (the allocation-free API) gives exactly what a fresh output holds,
/// batch after batch, whether the next batch is larger or smaller than the last.
/// </summary>
public class OutputReuseTests
{
    [Fact]
    public void ReusedOutputEqualsFreshOutputBatchAfterBatch()
    {
        using var model = ElmoModel.FromCheckpoint(SharedModels.Tiny);
        var random = new Random(3);
        var reused = new ElmoBatchOutput();
        foreach (int size in new[] { 5, 1, 9, 0, 3, 9 })
        {
            IReadOnlyList<string>[] batch = Enumerable.Range(0, size)
                .Select(_ => (IReadOnlyList<string>)TestSentences.RandomSentence(random, random.Next(0, 30))).ToArray();
            var fresh = model.Embed(batch);
            model.Embed(batch, reused);
            Assert.Equal(fresh.Count, reused.Count);
            Assert.Equal(fresh.MaxLength, reused.MaxLength);
            Assert.Equal(fresh.Lengths, reused.Lengths);
            Assert.Equal(fresh.Size, reused.Size);
            Assert.Equal(fresh.Activations.Length, fresh.Size);
            Assert.True(reused.Activations.Length >= reused.Size);
            Assert.True(Compare.BitIdentical(fresh.Activations, reused.Activations.AsSpan(0, reused.Size)), $"batch of {size}");
            Assert.Equal(fresh.Mask, reused.Mask.AsSpan(0, fresh.Mask.Length).ToArray());
            for (int b = 0; b < size; b++) Assert.Equal(fresh.ToArray(b), reused.ToArray(b));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => reused.Layer(reused.Count, 0).Length);
    }
}
