using System.Diagnostics;

namespace ElmoNative.Training.Diagnostics;

/// <summary>The phases of a training step that <see cref="PhaseTimer"/> separates.</summary>
internal enum Phase
{
    /// <summary>Distinct tokens of the window, position indices and targets.</summary>
    Gather,
    /// <summary>Character embedding lookup, convolutions, max over time, activation.</summary>
    CharCnnForward,
    /// <summary>Highway layers and token projection, forward.</summary>
    HighwayProjectionForward,
    /// <summary>Gathering token vectors to positions, dropout, skip connections, state copies.</summary>
    Glue,
    /// <summary>LSTM: the batched input GEMM x W_x of a window.</summary>
    LstmInputGemm,
    /// <summary>LSTM: the per-step recurrent and projection GEMMs (forward).</summary>
    LstmStepGemm,
    /// <summary>LSTM: the per-step element-wise cell (forward).</summary>
    LstmCell,
    /// <summary>Sampled (or full) softmax forward: sampling, gather, logits GEMM, exponentials.</summary>
    SoftmaxForward,
    /// <summary>Sampled softmax backward: the two GEMMs and the scatter into the softmax gradient.</summary>
    SoftmaxBackward,
    /// <summary>LSTM backward: the per-step GEMMs (dz W_h^T, dm W_P^T).</summary>
    LstmStepGemmBackward,
    /// <summary>LSTM backward: the per-step element-wise cell and clip masks.</summary>
    LstmCellBackward,
    /// <summary>LSTM backward: the batched weight-gradient and input-gradient GEMMs of a window.</summary>
    LstmWindowGemmBackward,
    /// <summary>Highway and projection backward.</summary>
    HighwayProjectionBackward,
    /// <summary>Character CNN backward (max over time, embedding scatter).</summary>
    CharCnnBackward,
    /// <summary>Clearing the gradient block.</summary>
    GradientClear,
    /// <summary>Scaling, global norm, clipping.</summary>
    Norm,
    /// <summary>The Adagrad update.</summary>
    Optimizer,
}

/// <summary>
/// Wall-clock time per <see cref="Phase"/>, summed over threads (so phases run in parallel add up to more than the
/// step). Off unless <see cref="Enabled"/>; the bench turns it on to show where a training step spends its time.
/// </summary>
internal static class PhaseTimer
{
    private static readonly long[] Ticks = new long[Enum.GetValues<Phase>().Length];

    /// <summary>Whether phases are timed (costs two timestamp reads per phase).</summary>
    public static bool Enabled { get; set; }

    /// <summary>A start timestamp (0 when disabled).</summary>
    public static long Start() => Enabled ? Stopwatch.GetTimestamp() : 0;

    /// <summary>Adds the time since <paramref name="start"/> to <paramref name="phase"/>; returns a new start.</summary>
    public static long Stop(Phase phase, long start)
    {
        if (!Enabled) return 0;
        long now = Stopwatch.GetTimestamp();
        Interlocked.Add(ref Ticks[(int)phase], now - start);
        return now;
    }

    /// <summary>Forgets all totals.</summary>
    public static void Reset() => Array.Clear(Ticks);

    /// <summary>Seconds spent in <paramref name="phase"/> since the last reset.</summary>
    public static double Seconds(Phase phase) => Volatile.Read(ref Ticks[(int)phase]) / (double)Stopwatch.Frequency;
}
