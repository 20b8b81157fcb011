namespace ElmoNative.Kernels;

/// <summary>The element-wise part of one LSTM step, fused in one pass over the gates.</summary>
public static class LstmCell
{
    /// <summary>
    /// For each of <paramref name="rows"/> rows with gate pre-activations z = [i, j, f, o] (4 x hidden wide, row stride 4 x hidden):
    /// c = sigmoid(f + forgetBias) * c + sigmoid(i) * tanh(j); c = clip(c, cellClip); h = sigmoid(o) * tanh(c).
    /// cell and output are [rows, hidden]. Pass float.PositiveInfinity as cellClip for no clipping.
    /// </summary>
    public static void Step(ReadOnlySpan<float> gates, Span<float> cell, Span<float> output, int rows, int hidden,
        float forgetBias, float cellClip)
    {
        for (int r = 0; r < rows; r++)
        {
            var z = gates.Slice(r * 4 * hidden, 4 * hidden);
            var c = cell.Slice(r * hidden, hidden);
            var h = output.Slice(r * hidden, hidden);
            for (int u = 0; u < hidden; u++)
            {
                float i = Sigmoid(z[u]);
                float j = MathF.Tanh(z[hidden + u]);
                float f = Sigmoid(z[2 * hidden + u] + forgetBias);
                float o = Sigmoid(z[3 * hidden + u]);
                float cu = f * c[u] + i * j;
                cu = Math.Clamp(cu, -cellClip, cellClip);
                c[u] = cu;
                h[u] = o * MathF.Tanh(cu);
            }
        }
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
