using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Training.Data;
using ElmoNative.Training.Diagnostics;
using ElmoNative.Training.Layers;
using ElmoNative.Training.Loss;

namespace ElmoNative.Training;

/// <summary>How a window is run.</summary>
internal enum WindowMode
{
    /// <summary>Dropout on, sampled softmax, backward pass.</summary>
    Train,
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

/// <summary>
/// The biLM as a function of one window (B rows x T steps per direction): forward pass, loss, and the backward pass in
/// exactly the reverse order. Shapes (time-major inside: row t * B + b):
/// <code>
///   distinct tokens [N, W] -> char CNN [N, F] -> highway^k [N, F] -> projection [N, P]     (shared by both directions)
///   direction d: gather [T*B, P] -> (dropout -> LSTM layer l (+ skip for l &gt; 0))^L -> dropout -> softmax (shared W, b)
/// </code>
/// All buffers are allocated once, for the window size of the options; a window allocates nothing.
/// With two or more kernel threads the two directions run at the same time, one per core (single-threaded GEMMs each);
/// their gradients meet in the shared softmax and token encoder, which are added in a fixed order (forward direction
/// first), so the result does not depend on the thread count or on timing.
/// </summary>
internal sealed class BiLmNetwork : IDisposable
{
    private readonly ElmoOptions options;
    private readonly int batch, steps, width, p, f, layers;
    private readonly float keep;
    private readonly CharCnn cnn;
    private readonly Highway[] highways;
    private readonly Dense? projection;
    private readonly LstmLayer[][] lstm;
    private readonly ParameterTensor softmaxWeight, softmaxBias;

    // Token encoder workspace (N <= 2 B T distinct tokens).
    private readonly DistinctTokens distinct;
    private readonly int[][] tokenIndex; // [direction][T * B]: distinct index of each position
    private readonly int[][] targets;    // [direction][T * B]
    private readonly CharCnnCache cnnCache;
    private readonly HighwayCache[] highwayCaches;
    private readonly float[] encoded;     // [N, F]: char CNN output, then highway output (the projection's input)
    private readonly float[] tokens;      // [N, P]: token representations
    private readonly float[] tokenGradient, encodedGradient;

    // Per direction.
    private readonly LstmCache[][] caches;
    private readonly float[][][] layerOutputs; // [d][l][T*B, P] (with skip)
    private readonly float[][][] masks;        // [d][l][T*B, P]: dropout of the input of layer l; index L: of the top output
    private readonly float[][] top;            // [d][T*B, P]: softmax input
    private readonly float[][] gradientA, gradientB;
    private readonly SampledSoftmax[] sampled;
    private readonly FullSoftmax[] full;
    private readonly double[] lossSums = new double[2];
    private readonly int[] lossCounts = new int[2];
    private readonly float[][] positionGradient = new float[2][]; // [d]: which of gradientA/B holds dL/d(position input)
    private readonly Action<int> runDirection;
    private readonly Optimization.TouchedRows softmaxRows;

    // The arguments of the window being run, for runDirection.
    private ParameterSet? runParameters, runGradients;
    private bool runTrain, runCommit;
    private ulong runKey;
    private LstmStates? runState;

    public BiLmNetwork(ParameterLayout layout, int batch, int steps, int negativeSamples, float dropout)
    {
        options = layout.Options;
        this.batch = batch;
        this.steps = steps;
        width = options.MaxCharactersPerToken;
        p = options.ProjectionDim;
        f = options.FilterCount;
        layers = options.LstmLayers;
        keep = 1f - dropout;
        int rows = batch * steps, maxTokens = 2 * rows, h = options.LstmDim;

        cnn = new CharCnn(options, layout);
        highways = new Highway[options.HighwayLayers];
        for (int k = 0; k < highways.Length; k++) highways[k] = new Highway(layout, k, f);
        if (options.HasTokenProjection) projection = new Dense(layout, CheckpointLayout.ProjectionWeight, CheckpointLayout.ProjectionBias, f, p);
        softmaxWeight = layout[ParameterLayout.SoftmaxWeight];
        softmaxBias = layout[ParameterLayout.SoftmaxBias];

        distinct = new DistinctTokens(maxTokens, width);
        tokenIndex = [new int[rows], new int[rows]];
        targets = [new int[rows], new int[rows]];
        cnnCache = new CharCnnCache(maxTokens, width, options.CharEmbeddingDim, f);
        highwayCaches = new HighwayCache[highways.Length];
        for (int k = 0; k < highways.Length; k++) highwayCaches[k] = new HighwayCache(maxTokens, f);
        encoded = new float[maxTokens * f];
        encodedGradient = new float[maxTokens * f];
        tokens = new float[maxTokens * p];
        tokenGradient = new float[maxTokens * p];

        lstm = new LstmLayer[2][];
        caches = new LstmCache[2][];
        layerOutputs = new float[2][][];
        masks = new float[2][][];
        top = new float[2][];
        gradientA = new float[2][];
        gradientB = new float[2][];
        sampled = new SampledSoftmax[2];
        for (int d = 0; d < 2; d++)
        {
            lstm[d] = new LstmLayer[layers];
            caches[d] = new LstmCache[layers];
            layerOutputs[d] = new float[layers][];
            masks[d] = new float[layers + 1][];
            for (int l = 0; l < layers; l++)
            {
                lstm[d][l] = new LstmLayer(options, layout, d, l);
                caches[d][l] = new LstmCache(steps, batch, p, h, p);
                layerOutputs[d][l] = new float[rows * p];
            }
            for (int l = 0; l <= layers; l++) masks[d][l] = keep < 1f ? new float[rows * p] : [];
            top[d] = new float[rows * p];
            gradientA[d] = new float[rows * p];
            gradientB[d] = new float[rows * p];
            sampled[d] = new SampledSoftmax(rows, p, new LogUniformSampler(layout.VocabularySize, negativeSamples));
        }
        full = [new FullSoftmax(p, layout.VocabularySize), new FullSoftmax(p, layout.VocabularySize)];
        runDirection = RunDirection;
        softmaxRows = new Optimization.TouchedRows(layout.VocabularySize);
    }

    /// <summary>The softmax rows the last training <see cref="Run"/> with a gradient added to (sampled ids and targets of both directions).</summary>
    public Optimization.TouchedRows SoftmaxRows => softmaxRows;

    /// <summary>The sampler of direction d (its last draw), for tests.</summary>
    public LogUniformSampler Sampler(int direction) => sampled[direction].Sampler;

    /// <summary>
    /// Runs one window. Train: forward with dropout, sampled softmax, and the gradient of
    /// 0.5 (mean forward + mean backward cross-entropy) ADDED to <paramref name="g"/>. Evaluate: full softmax, forward only.
    /// The LSTMs start from <paramref name="state"/>; when <paramref name="commitState"/> their final state is written back.
    /// All randomness comes from <paramref name="key"/>.
    /// </summary>
    public WindowLoss Run(ParameterSet parameters, ParameterSet? g, TrainingWindow window, WindowMode mode, ulong key,
        LstmStates state, bool commitState)
    {
        if (window.Batch != batch || window.Steps != steps || window.CharsPerToken != width)
            throw new ArgumentException($"window is {window.Batch} x {window.Steps} x {window.CharsPerToken}, the trainer expects {batch} x {steps} x {width}", nameof(window));
        bool train = mode == WindowMode.Train;
        long clock = PhaseTimer.Start();
        int n = Gather(window);
        clock = PhaseTimer.Stop(Phase.Gather, clock);
        EncodeForward(parameters, n);

        (runParameters, runGradients, runTrain, runKey, runState, runCommit) = (parameters, train ? g : null, train, key, state, commitState);
        try
        {
            // The two directions side by side when the budget allows, each running its kernels on one thread.
            int threads = KernelSettings.ThreadsForCurrentThread;
            using (KernelSettings.LimitCurrentThread(1)) ParallelParts.For(2, threads, runDirection);
        }
        finally
        {
            (runParameters, runGradients, runState) = (null, null, null);
        }

        if (train && g is not null)
        {
            clock = PhaseTimer.Start();
            // Where the directions meet, in a fixed order: the shared softmax, then the token representations.
            softmaxRows.Clear();
            for (int d = 0; d < 2; d++)
            {
                sampled[d].AddParameterGradients(top[d], targets[d], g.View(softmaxWeight), g.View(softmaxBias));
                foreach (int id in sampled[d].Sampler.Ids) softmaxRows.Add(id);
                foreach (int y in targets[d]) if (y >= 0) softmaxRows.Add(y);
            }
            clock = PhaseTimer.Stop(Phase.SoftmaxBackward, clock);
            Array.Clear(tokenGradient, 0, n * p);
            for (int d = 0; d < 2; d++)
            {
                var dy = positionGradient[d];
                for (int r = 0; r < batch * steps; r++)
                    VectorOps.Add(dy.AsSpan(r * p, p), tokenGradient.AsSpan(tokenIndex[d][r] * p, p));
            }
            PhaseTimer.Stop(Phase.Glue, clock);
            EncodeBackward(parameters, g, n);
        }
        return new WindowLoss(lossSums[0], lossCounts[0], lossSums[1], lossCounts[1]);
    }

    /// <summary>Nothing to release: the directions run on the kernels' fork-join (ParallelParts), which owns no thread.</summary>
    public void Dispose()
    {
    }

    /// <summary>Direction d of the window in <see cref="Run"/>: LSTM stack, softmax, state, and (training) its backward pass.</summary>
    private void RunDirection(int d)
    {
        var parameters = runParameters!;
        DirectionForward(parameters, d, runTrain, runKey, runState!);
        long clock = PhaseTimer.Start();
        int valid = 0;
        foreach (int y in targets[d]) if (y >= 0) valid++;
        var w = parameters.View(softmaxWeight);
        var b = parameters.View(softmaxBias);
        (lossSums[d], lossCounts[d]) = runTrain
            ? sampled[d].Forward(SubKey(runKey, 100 + d), top[d], targets[d], w, b, valid == 0 ? 0f : 0.5f / valid)
            : full[d].Forward(top[d], targets[d], w, b);
        PhaseTimer.Stop(Phase.SoftmaxForward, clock);
        if (runCommit)
            for (int l = 0; l < layers; l++)
            {
                int h = options.LstmDim;
                caches[d][l].Outputs.AsSpan(steps * batch * p, batch * p).CopyTo(runState!.Outputs[d][l]);
                caches[d][l].Cells.AsSpan(steps * batch * h, batch * h).CopyTo(runState.Cells[d][l]);
            }
        if (runGradients is not null) DirectionBackward(parameters, d, runTrain);
    }

    /// <summary>Distinct tokens of both directions; time-major position indices and targets. Returns N.</summary>
    private int Gather(TrainingWindow window)
    {
        distinct.Clear();
        for (int d = 0; d < 2; d++)
        {
            var chars = window.CharIds[d];
            var ids = window.TargetIds[d];
            for (int b = 0; b < batch; b++)
                for (int t = 0; t < steps; t++)
                {
                    int source = b * steps + t, row = t * batch + b; // the window is batch-major, the network time-major
                    tokenIndex[d][row] = distinct.IndexOf(chars.AsSpan(source * width, width));
                    targets[d][row] = ids[source];
                }
        }
        return distinct.Count;
    }

    private void EncodeForward(ParameterSet parameters, int n)
    {
        var h = encoded.AsSpan(0, n * f);
        long clock = PhaseTimer.Start();
        cnn.Forward(parameters, distinct.CharIds, n, cnnCache, h);
        clock = PhaseTimer.Stop(Phase.CharCnnForward, clock);
        for (int k = 0; k < highways.Length; k++) highways[k].Forward(parameters, h, n, highwayCaches[k]);
        if (projection is null) h.CopyTo(tokens);
        else projection.Forward(parameters, h, n, tokens);
        PhaseTimer.Stop(Phase.HighwayProjectionForward, clock);
    }

    private void EncodeBackward(ParameterSet parameters, ParameterSet g, int n)
    {
        var dh = encodedGradient.AsSpan(0, n * f);
        long clock = PhaseTimer.Start();
        if (projection is null) tokenGradient.AsSpan(0, n * p).CopyTo(dh);
        else projection.Backward(parameters, g, encoded.AsSpan(0, n * f), tokenGradient.AsSpan(0, n * p), n, dh);
        for (int k = highways.Length - 1; k >= 0; k--) highways[k].Backward(parameters, g, dh, n, highwayCaches[k]);
        clock = PhaseTimer.Stop(Phase.HighwayProjectionBackward, clock);
        cnn.Backward(parameters, g, distinct.CharIds, n, cnnCache, dh);
        PhaseTimer.Stop(Phase.CharCnnBackward, clock);
    }

    private void DirectionForward(ParameterSet parameters, int d, bool train, ulong key, LstmStates state)
    {
        int rows = batch * steps;
        bool drop = train && keep < 1f;
        long clock = PhaseTimer.Start();
        var x0 = caches[d][0].Input.AsSpan(0, rows * p);
        for (int r = 0; r < rows; r++) tokens.AsSpan(tokenIndex[d][r] * p, p).CopyTo(x0.Slice(r * p, p));
        for (int l = 0; l < layers; l++)
        {
            var cache = caches[d][l];
            var x = cache.Input.AsSpan(0, rows * p);
            if (l > 0) layerOutputs[d][l - 1].CopyTo(x);
            if (drop) Dropout.Forward(SubKey(key, 1000 * (d + 1) + l), keep, x, masks[d][l], x);
            state.Outputs[d][l].CopyTo(cache.Outputs, 0);
            state.Cells[d][l].CopyTo(cache.Cells, 0);
            PhaseTimer.Stop(Phase.Glue, clock);
            lstm[d][l].Forward(parameters, cache, steps, batch);
            clock = PhaseTimer.Start();
            var y = layerOutputs[d][l].AsSpan();
            cache.Outputs.AsSpan(batch * p, rows * p).CopyTo(y);
            // Skip connection (bilm-tf's ResidualWrapper inside the DropoutWrapper): y = m + x, x after dropout.
            if (options.UseSkipConnections && l > 0) VectorOps.Add(x, y);
        }
        var last = layerOutputs[d][layers - 1];
        if (drop) Dropout.Forward(SubKey(key, 1000 * (d + 1) + 999), keep, last, masks[d][layers], top[d]);
        else last.CopyTo(top[d], 0);
        PhaseTimer.Stop(Phase.Glue, clock);
    }

    private void DirectionBackward(ParameterSet parameters, int d, bool train)
    {
        int rows = batch * steps;
        bool drop = train && keep < 1f;
        float[] a = gradientA[d], b = gradientB[d];
        var dy = a.AsSpan(0, rows * p);
        var dx = b.AsSpan(0, rows * p);
        long clock = PhaseTimer.Start();
        dy.Clear();
        sampled[d].Backward(top[d], targets[d], parameters.View(softmaxWeight), dy);
        clock = PhaseTimer.Stop(Phase.SoftmaxBackward, clock);
        if (drop) Dropout.Backward(masks[d][layers], dy);
        for (int l = layers - 1; l >= 0; l--)
        {
            // The skip connection passes dy straight to the (dropped) input; the LSTM adds its own part.
            if (options.UseSkipConnections && l > 0) dy.CopyTo(dx);
            else dx.Clear();
            PhaseTimer.Stop(Phase.Glue, clock);
            lstm[d][l].Backward(parameters, runGradients!, caches[d][l], steps, batch, dy, dx);
            clock = PhaseTimer.Start();
            if (drop) Dropout.Backward(masks[d][l], dx);
            var swap = dy;
            dy = dx;
            dx = swap;
            (a, b) = (b, a);
        }
        // a (dy) now holds dL/d(token representation) of each position; Run adds it to its distinct token.
        positionGradient[d] = a;
        PhaseTimer.Stop(Phase.Glue, clock);
    }

    /// <summary>
    /// A hash of every discrete decision of the last forward pass: the max-over-time positions, the signs of the relu
    /// inputs (char CNN with relu, highway transform) and which LSTM cells and outputs sat on a clip. Gradient checks
    /// compare it before and after a finite-difference step to keep probes away from kinks.
    /// </summary>
    internal ulong DecisionSignature()
    {
        int n = distinct.Count;
        ulong hash = 1469598103934665603UL;
        static ulong Add(ulong h, ulong value) => (h ^ value) * 1099511628211UL;
        foreach (int a in cnnCache.ArgMax.AsSpan(0, n * f)) hash = Add(hash, (ulong)a);
        if (options.Activation == CharCnnActivation.Relu)
            foreach (float y in cnnCache.Output.AsSpan(0, n * f)) hash = Add(hash, y > 0 ? 1UL : 2UL);
        foreach (var c in highwayCaches)
            foreach (float t in c.Transform.AsSpan(0, n * f)) hash = Add(hash, t > 0 ? 1UL : 2UL);
        float cellClip = options.CellClip ?? float.PositiveInfinity, projectionClip = options.ProjectionClip ?? float.PositiveInfinity;
        for (int d = 0; d < 2; d++)
            foreach (var c in caches[d])
            {
                foreach (float v in c.Cells.AsSpan(batch * options.LstmDim)) hash = Add(hash, MathF.Abs(v) >= cellClip ? 1UL : 2UL);
                foreach (float v in c.Outputs.AsSpan(batch * p)) hash = Add(hash, MathF.Abs(v) >= projectionClip ? 1UL : 2UL);
            }
        return hash;
    }

    /// <summary>How many (cell, output) values of the last forward pass sat on their clip, over both directions and all layers.</summary>
    internal (int Cells, int Outputs) ClippedCounts()
    {
        float cellClip = options.CellClip ?? float.PositiveInfinity, projectionClip = options.ProjectionClip ?? float.PositiveInfinity;
        int cells = 0, outputs = 0;
        for (int d = 0; d < 2; d++)
            foreach (var c in caches[d])
            {
                foreach (float v in c.Cells.AsSpan(batch * options.LstmDim)) if (MathF.Abs(v) >= cellClip) cells++;
                foreach (float v in c.Outputs.AsSpan(batch * p)) if (MathF.Abs(v) >= projectionClip) outputs++;
            }
        return (cells, outputs);
    }

    /// <summary>Output of LSTM layer l of direction d in the last window [T*B, P], time-major (with the skip connection).</summary>
    internal ReadOnlySpan<float> LayerOutput(int direction, int layer) => layerOutputs[direction][layer];

    /// <summary>A well-mixed sub-key of <paramref name="key"/> for one use (a sampler, a dropout mask).</summary>
    public static ulong SubKey(ulong key, int purpose) => Gradients.Mix(key ^ Gradients.Mix((ulong)purpose + 0x5851F42D4C957F2DUL));
}
