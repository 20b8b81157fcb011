namespace ElmoNative.Training;

/// <summary>How a window is run.</summary>
internal enum WindowMode
{
    /// <summary>Dropout on, sampled softmax, backward pass: the gradient is added to the gradient block.</summary>
    Train,
    /// <summary>Dropout on, sampled softmax, forward only: the training loss (what a gradient check differentiates).</summary>
    TrainLoss,
    /// <summary>No dropout, full softmax, forward only.</summary>
    Evaluate,
}

/// <summary>The losses of one window: sums of cross-entropies and the positions they cover, per direction.</summary>
internal readonly record struct WindowLoss(double ForwardSum, int ForwardCount, double BackwardSum, int BackwardCount)
{
    /// <summary>0.5 (mean forward + mean backward): the training objective.</summary>
    public double Total => 0.5 * (Mean(ForwardSum, ForwardCount) + Mean(BackwardSum, BackwardCount));

    public static double Mean(double sum, int count) => count == 0 ? 0 : sum / count;
}
