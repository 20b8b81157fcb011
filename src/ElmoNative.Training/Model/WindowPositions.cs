using ElmoNative.Training.Data;

namespace ElmoNative.Training;

/// <summary>
/// The positions of a window as the network reads them: time-major (row t * B + b; the window itself is batch-major),
/// per direction, each position's distinct token and its target. The token encoder then runs once per distinct token.
/// </summary>
internal sealed class WindowPositions
{
    private readonly int batch, steps, width;

    public WindowPositions(int batch, int steps, int charsPerToken)
    {
        this.batch = batch;
        this.steps = steps;
        width = charsPerToken;
        int rows = batch * steps;
        Distinct = new DistinctTokens(2 * rows, charsPerToken);
        TokenIndex = [new int[rows], new int[rows]];
        Targets = [new int[rows], new int[rows]];
    }

    /// <summary>The distinct tokens of both directions [N, W], in order of first appearance.</summary>
    public DistinctTokens Distinct { get; }

    /// <summary>[direction][T * B]: the distinct index of each position's token.</summary>
    public int[][] TokenIndex { get; }

    /// <summary>[direction][T * B]: each position's target id (-1: padding, not counted).</summary>
    public int[][] Targets { get; }

    /// <summary>Reads <paramref name="window"/>; returns N, the number of distinct tokens.</summary>
    public int Gather(TrainingWindow window)
    {
        if (window.Batch != batch || window.Steps != steps || window.CharsPerToken != width)
            throw new ArgumentException($"window is {window.Batch} x {window.Steps} x {window.CharsPerToken}, the trainer expects {batch} x {steps} x {width}", nameof(window));
        Distinct.Clear();
        for (int d = 0; d < 2; d++)
        {
            var chars = window.CharIds[d];
            var ids = window.TargetIds[d];
            for (int b = 0; b < batch; b++)
                for (int t = 0; t < steps; t++)
                {
                    int source = b * steps + t, row = t * batch + b;
                    TokenIndex[d][row] = Distinct.IndexOf(chars.AsSpan(source * width, width));
                    Targets[d][row] = ids[source];
                }
        }
        return Distinct.Count;
    }
}
