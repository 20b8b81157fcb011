namespace ElmoNative.Layers;

/// <summary>
/// The packed time-major layout of an inference batch (like PyTorch's PackedSequence), in a <see cref="BiLmWorkspace"/>:
/// rows sorted by decreasing step count (stable; sorted row s holds sentence order[s], which runs steps[s] = n + 2
/// steps, or 0 when empty), and step t holding the active[t] rows still running at rows offsets[t] .. offsets[t + 1] - 1,
/// with no padding rows.
/// </summary>
internal static class PackedBatch
{
    /// <summary>Lays out <paramref name="sentences"/> in <paramref name="ws"/> (order, steps, active, offsets); returns the longest step count.</summary>
    public static int Pack(IReadOnlyList<IReadOnlyList<string>> sentences, BiLmWorkspace ws)
    {
        int batch = sentences.Count;
        var order = ws.Order(batch);
        var steps = ws.Steps(batch);
        var keys = ws.SortKeys(batch); // longest first, ties by position (a stable sort without a comparison delegate)
        for (int b = 0; b < batch; b++) keys[b] = ((long)(int.MaxValue - sentences[b].Count) << 32) | (uint)b;
        keys.Sort();
        for (int s = 0; s < batch; s++) order[s] = (int)(keys[s] & uint.MaxValue);
        for (int s = 0; s < batch; s++) steps[s] = sentences[order[s]].Count == 0 ? 0 : sentences[order[s]].Count + 2;
        int maxSteps = steps[0];

        var active = ws.Active(maxSteps);
        var offsets = ws.Offsets(maxSteps + 1);
        offsets[0] = 0;
        for (int t = 0; t < maxSteps; t++)
        {
            int a = 0;
            while (a < batch && steps[a] > t) a++;
            active[t] = a;
            offsets[t + 1] = offsets[t] + a;
        }
        return maxSteps;
    }

    /// <summary>backward [R, P] = forward with each row's steps in reverse order (the backward direction's input).</summary>
    public static void Reverse(ReadOnlySpan<int> steps, ReadOnlySpan<int> offsets, int p, ReadOnlySpan<float> forward, Span<float> backward)
    {
        for (int s = 0; s < steps.Length; s++)
            for (int t = 0; t < steps[s]; t++)
                forward.Slice((offsets[t] + s) * p, p).CopyTo(backward.Slice((offsets[steps[s] - 1 - t] + s) * p, p));
    }
}
