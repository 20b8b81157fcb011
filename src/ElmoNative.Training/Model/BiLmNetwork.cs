using ElmoNative.Kernels;
using ElmoNative.Layers;
using ElmoNative.Parameters;
using ElmoNative.Training.Data;
using ElmoNative.Training.Diagnostics;

namespace ElmoNative.Training;

/// <summary>
/// The biLM as a function of one window (B rows x T steps per direction): the forward pass, the loss, and the backward
/// pass, which is the forward pass read in reverse. Shapes (time-major inside: row t * B + b):
/// <code>
///   forward:  window -> distinct tokens [N, W] (<see cref="WindowPositions"/>)
///             -> token encoder [N, P] (<see cref="TokenEncoder"/>: char CNN, highway^k, projection; shared by both directions)
///             -> direction d = 0, 1: positions [T*B, P] -> LSTM stack -> softmax loss (<see cref="BiLmDirection"/>; shared W, b)
///   backward: direction d = 0, 1: softmax -> LSTM stack -> dL/d(position)
///             -> where the directions meet: the shared softmax weights, then each position's gradient onto its token
///             -> token encoder backward (projection, highway^k in reverse, char CNN)
/// </code>
/// All buffers are allocated once, for the window size of the options; a window allocates nothing.
/// With two or more kernel threads the two directions run at the same time, one per core (single-threaded GEMMs each);
/// their gradients meet in the shared softmax and token encoder, which are added in a fixed order (forward direction
/// first), so the result does not depend on the thread count or on timing. Each stage is timed as a whole
/// (<see cref="PhaseTimer"/>).
/// </summary>
internal sealed partial class BiLmNetwork : IDisposable
{
    private readonly int batch, steps, p;
    private readonly ParameterTensor softmaxWeight, softmaxBias;
    private readonly ParameterSet parameters, gradients;
    private readonly WindowPositions positions;
    private readonly TokenEncoder encoder;
    private readonly TokenEncoderSaved encoderSaved;
    private readonly float[] tokens;        // [N, P]: token representations
    private readonly float[] tokenGradient; // [N, P]: their gradient, summed over positions and directions
    private readonly BiLmDirection[] directions;
    private readonly double[] lossSums = new double[2];
    private readonly int[] lossCounts = new int[2];
    private readonly Optimization.TouchedRows softmaxRows;
    private readonly Action<int> runDirection;

    // The arguments of the window being run, for runDirection.
    private bool runTrain, runBackward, runCommit;
    private ulong runKey;
    private LstmStates? runState;

    /// <summary>The network over <paramref name="parameters"/>; training windows add their gradient to <paramref name="gradients"/>.</summary>
    public BiLmNetwork(ParameterSet parameters, ParameterSet gradients, int batch, int steps, int negativeSamples, float dropout)
    {
        this.parameters = parameters;
        this.gradients = gradients;
        var layout = parameters.Layout;
        var options = layout.Options;
        var weights = LayerWeights.Views(parameters, gradients);
        this.batch = batch;
        this.steps = steps;
        p = options.ProjectionDim;
        int maxTokens = 2 * batch * steps;
        softmaxWeight = layout[ParameterLayout.SoftmaxWeight];
        softmaxBias = layout[ParameterLayout.SoftmaxBias];
        positions = new WindowPositions(batch, steps, options.MaxCharactersPerToken);
        encoder = new TokenEncoder(options, weights);
        encoderSaved = new TokenEncoderSaved(options, maxTokens);
        tokens = new float[maxTokens * p];
        tokenGradient = new float[maxTokens * p];
        directions = new BiLmDirection[2];
        for (int d = 0; d < 2; d++)
            directions[d] = new BiLmDirection(options, weights, d, batch, steps, dropout, layout.VocabularySize, negativeSamples);
        softmaxRows = new Optimization.TouchedRows(layout.VocabularySize);
        runDirection = RunDirection;
    }

    /// <summary>The softmax rows the last training <see cref="Run"/> added a gradient to (sampled ids and targets of both directions).</summary>
    public Optimization.TouchedRows SoftmaxRows => softmaxRows;

    /// <summary>
    /// Runs one window. Train: forward with dropout, sampled softmax, and the gradient of
    /// 0.5 (mean forward + mean backward cross-entropy) ADDED to the gradient block; TrainLoss: the same loss, forward
    /// only. Evaluate: full softmax, forward only.
    /// The LSTMs start from <paramref name="state"/>; when <paramref name="commitState"/> their final state is written back.
    /// All randomness comes from <paramref name="key"/>.
    /// </summary>
    public WindowLoss Run(TrainingWindow window, WindowMode mode, ulong key, LstmStates state, bool commitState)
    {
        bool train = mode != WindowMode.Evaluate, backward = mode == WindowMode.Train;
        int n;
        using (PhaseTimer.Time(Phase.Gather)) n = positions.Gather(window);
        using (PhaseTimer.Time(Phase.TokenEncoderForward)) encoder.Forward(positions.Distinct.CharIds, n, encoderSaved, tokens);

        // Each direction: LSTM stack, softmax loss, state, and (training) its backward pass down to the positions.
        (runTrain, runBackward, runKey, runState, runCommit) = (train, backward, key, state, commitState);
        try
        {
            // The two directions side by side when the budget allows, each running its kernels on one thread (so no sum
            // depends on the thread count).
            int threads = KernelSettings.ThreadsForCurrentThread;
            using (KernelSettings.LimitCurrentThread(1)) ParallelParts.For(2, threads, runDirection);
        }
        finally
        {
            runState = null;
        }

        if (backward)
        {
            // Where the directions meet, in a fixed order: the shared softmax, then the token representations.
            using (PhaseTimer.Time(Phase.SoftmaxBackward)) AddSoftmaxGradients();
            using (PhaseTimer.Time(Phase.TokenEncoderBackward))
            {
                GatherTokenGradients(n);
                encoder.Backward(positions.Distinct.CharIds, n, encoderSaved, tokenGradient);
            }
        }
        return new WindowLoss(lossSums[0], lossCounts[0], lossSums[1], lossCounts[1]);
    }

    /// <summary>Releases the directions' LSTM stacks (the directions run on the kernels' fork-join, which owns no thread).</summary>
    public void Dispose()
    {
        foreach (var direction in directions) direction.Dispose();
    }

    /// <summary>Direction d of the window in <see cref="Run"/>: forward, loss, state, and (training) backward.</summary>
    private void RunDirection(int d)
    {
        var direction = directions[d];
        var targets = positions.Targets[d];
        using (PhaseTimer.Time(Phase.LstmForward)) direction.Forward(tokens, positions.TokenIndex[d], runTrain, runKey, runState!);
        using (PhaseTimer.Time(Phase.SoftmaxForward))
            (lossSums[d], lossCounts[d]) = direction.Loss(runTrain, runKey, targets, parameters.View(softmaxWeight), parameters.View(softmaxBias));
        if (runCommit) direction.CommitState(runState!);
        if (!runBackward) return;
        using (PhaseTimer.Time(Phase.SoftmaxBackward)) direction.SoftmaxBackward(targets, parameters.View(softmaxWeight));
        using (PhaseTimer.Time(Phase.LstmBackward)) direction.Backward(runTrain);
    }

    /// <summary>The shared softmax's weight gradients, forward direction first; records the rows they touch.</summary>
    private void AddSoftmaxGradients()
    {
        softmaxRows.Clear();
        for (int d = 0; d < 2; d++)
        {
            var direction = directions[d];
            var targets = positions.Targets[d];
            direction.Sampled.AddParameterGradients(direction.Top, targets, gradients.View(softmaxWeight), gradients.View(softmaxBias));
            foreach (int id in direction.Sampled.Sampler.Ids) softmaxRows.Add(id);
            foreach (int y in targets) if (y >= 0) softmaxRows.Add(y);
        }
    }

    /// <summary>dL/d(token representation) [N, P]: each position's gradient added to its token, forward direction first.</summary>
    private void GatherTokenGradients(int n)
    {
        Array.Clear(tokenGradient, 0, n * p);
        for (int d = 0; d < 2; d++)
        {
            var dy = directions[d].PositionGradient;
            var index = positions.TokenIndex[d];
            for (int r = 0; r < batch * steps; r++)
                VectorOps.Add(dy.Slice(r * p, p), tokenGradient.AsSpan(index[r] * p, p));
        }
    }
}
