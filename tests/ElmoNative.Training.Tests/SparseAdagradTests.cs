using ElmoNative.Training.Optimization;
using FsCheck.Xunit;

namespace ElmoNative.Training.Tests;

/// <summary>
/// The sparse Adagrad step (dense part + the touched softmax rows) against the dense step over the whole block, on a
/// gradient that is zero outside the touched rows: same norm (up to summation order), same parameters and accumulators.
/// </summary>
public class SparseAdagradTests
{
    [Property(MaxTest = 50)]
    public void SparseStepEqualsDenseStep(byte denseRaw, byte vocabularyRaw, byte widthRaw, byte touchedRaw, bool clipEngages, int seed)
    {
        var random = new Random(seed);
        int dense = denseRaw % 40, v = 1 + vocabularyRaw % 30, p = 1 + widthRaw % 9;
        int weightOffset = dense, biasOffset = dense + v * p, size = biasOffset + v;
        var touched = new TouchedRows(v);
        for (int i = 0; i < touchedRaw % (v + 1); i++) touched.Add(random.Next(v));
        touched.Add(random.Next(v)); // a duplicate or a new row: either way the set holds it once

        float[] w = new float[size], a = new float[size], g = new float[size];
        for (int i = 0; i < size; i++)
        {
            w[i] = random.NextSingle() * 2 - 1;
            a[i] = 0.5f + random.NextSingle();
        }
        for (int i = 0; i < dense; i++) g[i] = random.NextSingle() * 2 - 1;
        foreach (int r in touched.Rows)
        {
            for (int j = 0; j < p; j++) g[weightOffset + r * p + j] = random.NextSingle() * 2 - 1;
            g[biasOffset + r] = random.NextSingle() * 2 - 1;
        }
        float clip = clipEngages ? 0.1f : 1e6f;
        float[] wDense = (float[])w.Clone(), aDense = (float[])a.Clone(), gDense = (float[])g.Clone();
        double expectedNorm = Adagrad.Step(wDense, aDense, gDense, 3f, clip, 0.2f);
        double norm = Adagrad.Step(w, a, g, new SparseTail(weightOffset, p, biasOffset, touched), 3f, clip, 0.2f);

        Assert.Equal(expectedNorm, norm, expectedNorm * 1e-6);
        for (int i = 0; i < size; i++)
        {
            // The clip factor comes from a norm summed in another order: allow a few float32 roundings.
            Assert.Equal(wDense[i], w[i], 1e-6f * (1 + MathF.Abs(wDense[i])));
            Assert.Equal(aDense[i], a[i], 1e-6f * (1 + MathF.Abs(aDense[i])));
        }
    }

    [Fact]
    public void TouchedRowsKeepsFirstAppearanceOrderWithoutDuplicates()
    {
        var rows = new TouchedRows(10);
        foreach (int r in new[] { 3, 7, 3, 0, 7, 9 }) rows.Add(r);
        Assert.Equal([3, 7, 0, 9], rows.Rows.ToArray());
        rows.Clear();
        Assert.Equal(0, rows.Count);
        rows.Add(7);
        var copy = new TouchedRows(10);
        copy.Add(1);
        copy.CopyFrom(rows);
        Assert.Equal([7], copy.Rows.ToArray());
    }
}
