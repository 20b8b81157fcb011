namespace ElmoNative.Training;

/// <summary>What the last window did, for gradient checks and tests.</summary>
internal sealed partial class BiLmNetwork
{
    /// <summary>
    /// A hash of every discrete decision of the last forward pass: the max-over-time positions, the signs of the relu
    /// inputs (char CNN with relu, highway transform) and which LSTM cells and outputs sat on a clip. Gradient checks
    /// compare it before and after a finite-difference step to keep probes away from kinks.
    /// </summary>
    internal ulong DecisionSignature()
    {
        var options = parameters.Layout.Options;
        int n = positions.Distinct.Count, f = options.FilterCount;
        ulong hash = 1469598103934665603UL;
        static ulong Add(ulong h, ulong value) => (h ^ value) * 1099511628211UL;
        foreach (int a in encoderSaved.Cnn.ArgMax.AsSpan(0, n * f)) hash = Add(hash, (ulong)a);
        if (options.Activation == CharCnnActivation.Relu)
            foreach (float y in encoderSaved.Cnn.Output.AsSpan(0, n * f)) hash = Add(hash, y > 0 ? 1UL : 2UL);
        foreach (var c in encoderSaved.Highways)
            foreach (float t in c.Transform.AsSpan(0, n * f)) hash = Add(hash, t > 0 ? 1UL : 2UL);
        float cellClip = options.CellClip ?? float.PositiveInfinity, projectionClip = options.ProjectionClip ?? float.PositiveInfinity;
        foreach (var direction in directions)
            foreach (var c in direction.Saved)
            {
                foreach (float v in c.Cells.AsSpan(batch * options.LstmDim)) hash = Add(hash, MathF.Abs(v) >= cellClip ? 1UL : 2UL);
                foreach (float v in c.Outputs.AsSpan(batch * p)) hash = Add(hash, MathF.Abs(v) >= projectionClip ? 1UL : 2UL);
            }
        return hash;
    }

    /// <summary>How many (cell, output) values of the last forward pass sat on their clip, over both directions and all layers.</summary>
    internal (int Cells, int Outputs) ClippedCounts()
    {
        var options = parameters.Layout.Options;
        float cellClip = options.CellClip ?? float.PositiveInfinity, projectionClip = options.ProjectionClip ?? float.PositiveInfinity;
        int cells = 0, outputs = 0;
        foreach (var direction in directions)
            foreach (var c in direction.Saved)
            {
                foreach (float v in c.Cells.AsSpan(batch * options.LstmDim)) if (MathF.Abs(v) >= cellClip) cells++;
                foreach (float v in c.Outputs.AsSpan(batch * p)) if (MathF.Abs(v) >= projectionClip) outputs++;
            }
        return (cells, outputs);
    }

    /// <summary>Output of LSTM layer l of direction d in the last window [T*B, P], time-major (with the skip connection).</summary>
    internal ReadOnlySpan<float> LayerOutput(int direction, int layer) => directions[direction].LayerOutput(layer);
}
