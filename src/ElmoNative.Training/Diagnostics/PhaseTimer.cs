using System.Diagnostics;

namespace ElmoNative.Training.Diagnostics;

/// <summary>The stages of a training step that <see cref="PhaseTimer"/> separates (each a whole call, never part of one).</summary>
internal enum Phase
{
    /// <summary>Distinct tokens of the window, position indices and targets.</summary>
    Gather,
    /// <summary>Token encoder forward: character CNN, highway layers, projection.</summary>
    TokenEncoderForward,
    /// <summary>One direction's LSTM stack forward, with the gathering of its inputs, dropout and skip connections.</summary>
    LstmForward,
    /// <summary>Sampled (or full) softmax forward: sampling, gather, logits GEMM, exponentials.</summary>
    SoftmaxForward,
    /// <summary>Softmax backward: dL/d(top output) of each direction, then the shared softmax weight gradients.</summary>
    SoftmaxBackward,
    /// <summary>One direction's LSTM stack backward, with dropout and skip connections.</summary>
    LstmBackward,
    /// <summary>Token encoder backward: the positions' gradients onto their tokens, projection, highways, character CNN.</summary>
    TokenEncoderBackward,
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
/// A stage is timed from the outside, <c>using (PhaseTimer.Time(Phase.X)) Stage();</c>, never between its equations.
/// </summary>
internal static class PhaseTimer
{
    private static readonly long[] Ticks = new long[Enum.GetValues<Phase>().Length];

    /// <summary>Whether phases are timed (costs two timestamp reads per stage).</summary>
    public static bool Enabled { get; set; }

    /// <summary>Times the stage run inside the returned scope (a struct: nothing is allocated).</summary>
    public static Scope Time(Phase phase) => new(phase, Enabled ? Stopwatch.GetTimestamp() : 0);

    /// <summary>Forgets all totals.</summary>
    public static void Reset() => Array.Clear(Ticks);

    /// <summary>Seconds spent in <paramref name="phase"/> since the last reset.</summary>
    public static double Seconds(Phase phase) => Volatile.Read(ref Ticks[(int)phase]) / (double)Stopwatch.Frequency;

    /// <summary>Adds the time from its start to its disposal to its phase (when timing is on).</summary>
    public readonly struct Scope(Phase phase, long start) : IDisposable
    {
        /// <summary>Ends the stage.</summary>
        public void Dispose()
        {
            if (start != 0) Interlocked.Add(ref Ticks[(int)phase], Stopwatch.GetTimestamp() - start);
        }
    }
}
