using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElmoNative.Checkpoints;
using ElmoNative.Training.Data;
using ElmoNative.Training.Diagnostics;
using ElmoNative.Training.Optimization;
using PureHDF;

namespace ElmoNative.Training;

/// <summary>The losses of one training window (before the update) and the gradient norm.</summary>
/// <param name="ForwardLoss">Mean sampled-softmax cross-entropy of the forward LM (nats per token).</param>
/// <param name="BackwardLoss">Mean sampled-softmax cross-entropy of the backward LM (nats per token).</param>
/// <param name="GradientNorm">Global norm of the gradient of (loss x unroll_steps) before clipping.</param>
public readonly record struct TrainingStepResult(double ForwardLoss, double BackwardLoss, double GradientNorm);

/// <summary>Full-softmax cross-entropy sums of one evaluation window; perplexity = exp(sum / tokens).</summary>
/// <param name="ForwardLossSum">Sum over the forward LM's positions with a target (nats).</param>
/// <param name="BackwardLossSum">Sum over the backward LM's positions with a target (nats).</param>
/// <param name="ForwardTokens">Forward positions with a target (TargetIds not -1).</param>
/// <param name="BackwardTokens">Backward positions with a target.</param>
public readonly record struct EvaluationResult(double ForwardLossSum, double BackwardLossSum, long ForwardTokens, long BackwardTokens);

/// <summary>
/// Trains an ELMo biLM with bilm-tf's recipe (docs/model.md section 9): both directions share the character CNN, highway,
/// projection and softmax; each has its own LSTM stack and carried state. One <see cref="TrainStep"/> runs a window
/// forward (with dropout), computes the sampled-softmax loss, backpropagates through the window (truncated BPTT),
/// clips the gradient of (loss x unroll_steps) to a global norm and applies Adagrad.
/// <para>
/// Reproducibility: parameters come from the seed; every random draw of a step (negative samples, dropout masks) is a
/// function of (seed, <see cref="Step"/>) only, so <see cref="Save"/> then <see cref="Load"/> and continuing gives
/// exactly the losses of an uninterrupted run. Not thread-safe: one caller at a time.
/// </para>
/// </summary>
public sealed partial class BiLmTrainer : IDisposable
{
    /// <summary>The Adagrad accumulators, carried LSTM states (HDF5).</summary>
    public const string StateFileName = "training_state.hdf5";

    /// <summary>Step count, seed and the training options the checkpoint was made with (JSON).</summary>
    public const string StateInfoFileName = "training_state.json";

    /// <summary>The key of <see cref="StateInfoFileName"/> saying the folder carries a <see cref="CheckpointManifest"/>.</summary>
    private const string ManifestKey = "manifest";

    private readonly ParameterLayout layout;
    private readonly ParameterSet parameters, gradients, accumulators;
    private readonly BiLmNetwork network;
    private readonly LstmStates trainingState, evaluationState;
    private readonly int seed;
    private readonly TouchedRows touched; // softmax rows with a gradient in the gradient block (the rest is zero)
    private readonly ParameterTensor softmaxWeight, softmaxBias;
    private bool disposed;

    /// <summary>A fresh model, initialized as bilm-tf does from <paramref name="seed"/>.</summary>
    public BiLmTrainer(TrainingOptions options, int seed)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        Options = options;
        this.seed = seed;
        layout = new ParameterLayout(options.Model, options.VocabularySize);
        parameters = new ParameterSet(layout);
        gradients = new ParameterSet(layout);
        accumulators = new ParameterSet(layout);
        ParameterInitializer.Initialize(parameters, seed);
        Array.Fill(accumulators.Data, options.InitialAccumulator);
        softmaxWeight = layout[ParameterLayout.SoftmaxWeight];
        softmaxBias = layout[ParameterLayout.SoftmaxBias];
        touched = new TouchedRows(options.VocabularySize);
        network = new BiLmNetwork(parameters, gradients, options.BatchSize, options.UnrollSteps, options.NegativeSamples, options.Dropout);
        var m = options.Model;
        trainingState = new LstmStates(m.LstmLayers, options.BatchSize, m.ProjectionDim, m.LstmDim);
        evaluationState = new LstmStates(m.LstmLayers, options.BatchSize, m.ProjectionDim, m.LstmDim);
    }

    /// <summary>The options this trainer runs with.</summary>
    public TrainingOptions Options { get; }

    /// <summary>Windows trained so far (the global step).</summary>
    public long Step { get; private set; }

    /// <summary>The seed of the initialization and of every step's random draws.</summary>
    public int Seed => seed;

    /// <summary>Number of trainable floats (checkpoint tensors plus the softmax).</summary>
    public long ParameterCount => layout.Size;

    internal ParameterSet Parameters => parameters;

    internal ParameterSet Gradients => gradients;

    internal ParameterSet Accumulators => accumulators;

    internal BiLmNetwork Network => network;

    internal LstmStates TrainingState => trainingState;

    /// <summary>
    /// One training step on <paramref name="window"/> (B x T per direction, the sizes of <see cref="Options"/>): forward
    /// with dropout, sampled softmax, backward, clip, Adagrad; the training LSTM state is carried to the next window.
    /// Returns the mean forward and backward cross-entropies before the update.
    /// </summary>
    public TrainingStepResult TrainStep(TrainingWindow window)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(window);
        // The gradient block is zero outside the dense part and the softmax rows the last step touched: clear only those.
        var tail = new SparseTail(softmaxWeight.Offset, Options.Model.ProjectionDim, softmaxBias.Offset, touched);
        using (PhaseTimer.Time(Phase.GradientClear)) ClearGradients(tail);
        WindowLoss loss;
        try
        {
            loss = network.Run(window, WindowMode.Train, StepKey(seed, Step), trainingState, commitState: true);
        }
        catch
        {
            gradients.Clear(); // which rows the failed step touched is unknown
            touched.Clear();
            throw;
        }
        touched.CopyFrom(network.SoftmaxRows);
        double norm = Adagrad.Step(parameters.Data, accumulators.Data, gradients.Data, tail, Options.UnrollSteps, Options.ClipNorm, Options.LearningRate);
        Step++;
        return new TrainingStepResult(WindowLoss.Mean(loss.ForwardSum, loss.ForwardCount), WindowLoss.Mean(loss.BackwardSum, loss.BackwardCount), norm);
    }

    /// <summary>Zeros the gradient block where the last step wrote: the dense part and the softmax rows it touched.</summary>
    private void ClearGradients(SparseTail tail)
    {
        Array.Clear(gradients.Data, 0, softmaxWeight.Offset);
        foreach (int r in touched.Rows)
        {
            tail.WeightRow(gradients.Data, r).Clear();
            gradients.Data[softmaxBias.Offset + r] = 0f;
        }
    }

    /// <summary>
    /// Full-softmax cross-entropy sums of <paramref name="window"/> without dropout; parameters do not change. Carries a
    /// separate evaluation LSTM state from window to window (see <see cref="ResetEvaluationState"/>). Positions whose
    /// target is -1 (padding at the end of a finite stream) are not counted.
    /// </summary>
    public EvaluationResult Evaluate(TrainingWindow window)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ArgumentNullException.ThrowIfNull(window);
        var loss = network.Run(window, WindowMode.Evaluate, 0, evaluationState, commitState: true);
        return new EvaluationResult(loss.ForwardSum, loss.BackwardSum, loss.ForwardCount, loss.BackwardCount);
    }

    /// <summary>Sets the evaluation LSTM state back to zeros (start of a new evaluation stream).</summary>
    public void ResetEvaluationState() => evaluationState.Reset();

    /// <summary>The current weights as a checkpoint in the layout of docs/model.md section 1 plus <c>softmax/W</c>, <c>softmax/b</c>.</summary>
    public Checkpoint ToCheckpoint() =>
        new(InferenceOptions(Options.Model), layout.Tensors.Select(t => new CheckpointTensor(t.Name, t.Shape, parameters.View(t).ToArray())).ToList(), "trainer");

    /// <summary>An inference model with the current weights (what <see cref="Save"/> then ElmoModel.LoadDirectory gives).</summary>
    public ElmoModel ToInferenceModel() => ElmoModel.FromCheckpoint(ToCheckpoint());

    /// <summary>
    /// Writes <paramref name="directory"/> (created if needed): <c>options.json</c> (inference options), <c>weights.hdf5</c>
    /// (the layout of docs/model.md section 1 plus the softmax), <c>training_state.hdf5</c> (Adagrad accumulators, carried training LSTM state) and
    /// <c>training_state.json</c> (step, seed, training options). Each file is written to a temporary name and renamed.
    /// </summary>
    public void Save(string directory)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Directory.CreateDirectory(directory);
        ToCheckpoint().SaveDirectory(directory);
        var state = new List<CheckpointTensor>();
        foreach (var t in layout.Tensors) state.Add(new CheckpointTensor(AccumulatorName(t.Name), t.Shape, accumulators.View(t).ToArray()));
        var m = Options.Model;
        for (int d = 0; d < 2; d++)
            for (int l = 0; l < m.LstmLayers; l++)
            {
                state.Add(new CheckpointTensor(StateName(d, l, "m"), [Options.BatchSize, m.ProjectionDim], (float[])trainingState.Outputs[d][l].Clone()));
                state.Add(new CheckpointTensor(StateName(d, l, "c"), [Options.BatchSize, m.LstmDim], (float[])trainingState.Cells[d][l].Clone()));
            }
        CheckpointWriter.WriteWeights(Path.Combine(directory, StateFileName), state);
        var info = new JsonObject
        {
            ["step"] = Step,
            ["seed"] = seed,
            ["n_tokens_vocab"] = Options.VocabularySize,
            ["batch_size"] = Options.BatchSize,
            ["unroll_steps"] = Options.UnrollSteps,
            ["n_negative_samples_batch"] = Options.NegativeSamples,
            ["dropout"] = Options.Dropout,
            ["all_clip_norm_val"] = Options.ClipNorm,
            ["learning_rate"] = Options.LearningRate,
            ["initial_accumulator_value"] = Options.InitialAccumulator,
            [ManifestKey] = CheckpointManifest.FileName, // the folder is written with a manifest: one missing is refused
        };
        AtomicFile.WriteAllText(Path.Combine(directory, StateInfoFileName), info.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>
    /// Resumes from a directory written by <see cref="Save"/>: parameters, Adagrad accumulators, carried training LSTM
    /// state, step count and seed. The architecture, vocabulary size and batch size of <paramref name="options"/> must match
    /// the checkpoint (otherwise <see cref="InvalidDataException"/> naming the file and the option); the other
    /// hyper-parameters (learning rate, dropout, clip, samples, epochs) are taken from <paramref name="options"/>.
    /// </summary>
    public static BiLmTrainer Load(string directory, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (optionsPath, weightsPath) = ModelFiles.Resolve(directory);
        string infoPath = Path.Combine(directory, StateInfoFileName);
        string statePath = Path.Combine(directory, StateFileName);
        if (!File.Exists(infoPath)) throw new FileNotFoundException($"{infoPath}: not a training checkpoint (no {StateInfoFileName})", infoPath);
        if (!File.Exists(statePath)) throw new FileNotFoundException($"{statePath}: not a training checkpoint (no {StateFileName})", statePath);

        var saved = ElmoOptions.Load(optionsPath);
        string? difference = ArchitectureDifference(saved, options.Model);
        if (difference is not null)
            throw new InvalidDataException($"{optionsPath}: {difference} in the checkpoint differs from the training options");
        JsonNode info;
        try
        {
            info = JsonNode.Parse(File.ReadAllText(infoPath)) ?? throw new InvalidDataException($"{infoPath}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{infoPath}: not valid JSON ({e.Message})", e);
        }
        if (info is not JsonObject) throw new InvalidDataException($"{infoPath}: not a JSON object");
        long step = ReadInteger(info, "step", infoPath, 0, long.MaxValue);
        int seed = (int)ReadInteger(info, "seed", infoPath, int.MinValue, int.MaxValue);
        long vocabulary = ReadInteger(info, "n_tokens_vocab", infoPath, 1, int.MaxValue);
        long batch = ReadInteger(info, "batch_size", infoPath, 1, int.MaxValue);
        if (vocabulary != options.VocabularySize)
            throw new InvalidDataException($"{infoPath}: n_tokens_vocab is {vocabulary} in the checkpoint but {options.VocabularySize} in the training options");
        if (batch != options.BatchSize)
            throw new InvalidDataException($"{infoPath}: batch_size is {batch} in the checkpoint but {options.BatchSize} in the training options (the carried LSTM state has one row per batch row)");

        var trainer = new BiLmTrainer(options, seed) { Step = step };
        try
        {
            ReadInto(weightsPath, trainer.layout, name => name, trainer.parameters);
            ReadInto(statePath, trainer.layout, AccumulatorName, trainer.accumulators);
            using var file = OpenHdf5(statePath);
            var m = options.Model;
            for (int d = 0; d < 2; d++)
                for (int l = 0; l < m.LstmLayers; l++)
                {
                    ReadDataset(file, statePath, StateName(d, l, "m"), [options.BatchSize, m.ProjectionDim], trainer.trainingState.Outputs[d][l]);
                    ReadDataset(file, statePath, StateName(d, l, "c"), [options.BatchSize, m.LstmDim], trainer.trainingState.Cells[d][l]);
                }
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
        return trainer;
    }

    /// <summary>
    /// Loads only the parameters of a checkpoint (its <c>options.json</c> and <c>weights.hdf5</c> with the softmax
    /// datasets), for <see cref="Evaluate"/>: no optimizer or training state is needed, and the batch size of
    /// <paramref name="options"/> may differ from the one the model was trained with (evaluation state starts from zero).
    /// </summary>
    public static BiLmTrainer LoadForEvaluation(string directory, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (optionsPath, weightsPath) = ModelFiles.Resolve(directory);
        string? difference = ArchitectureDifference(ElmoOptions.Load(optionsPath), options.Model);
        if (difference is not null)
            throw new InvalidDataException($"{optionsPath}: {difference} in the checkpoint differs from the training options");
        var trainer = new BiLmTrainer(options, seed: 0);
        try
        {
            ReadInto(weightsPath, trainer.layout, name => name, trainer.parameters);
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
        return trainer;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        disposed = true;
        network.Dispose();
    }

    /// <summary>The key of every random draw of step <paramref name="step"/>.</summary>
    internal static ulong StepKey(int seed, long step) =>
        Kernels.Gradients.Mix(Kernels.Gradients.Mix((ulong)(uint)seed + 0x632BE59BD9B4E019UL) ^ (ulong)step);

    /// <summary>Options as an inference <c>options.json</c> says them (262 characters: id 0 is the padding row).</summary>
    internal static ElmoOptions InferenceOptions(ElmoOptions model) => model with { CharacterCount = 262 };

    private static string AccumulatorName(string name) => "adagrad/" + name;

    private static string StateName(int direction, int layer, string part) => $"lstm_state/{direction}/{layer}/{part}";

    private static void Validate(TrainingOptions o)
    {
        o.Model.Validate("training options");
        void Require(bool ok, string what)
        {
            if (!ok) throw new ArgumentException($"training options: {what}");
        }
        Require(o.VocabularySize >= 1, "n_tokens_vocab must be positive");
        Require(o.BatchSize >= 1, "batch_size must be positive");
        Require(o.UnrollSteps >= 1, "unroll_steps must be positive");
        Require(o.NegativeSamples >= 1, "n_negative_samples_batch must be positive");
        Require(o.Dropout >= 0 && o.Dropout < 1, "dropout must be in [0, 1)");
        Require(o.ClipNorm > 0, "all_clip_norm_val must be positive");
        Require(o.LearningRate > 0, "learning_rate must be positive");
        Require(o.InitialAccumulator > 0, "initial_accumulator_value must be positive");
        Require((long)o.BatchSize * o.UnrollSteps * Math.Min(o.NegativeSamples, o.VocabularySize) < int.MaxValue, "batch_size x unroll_steps x n_negative_samples_batch is too large");
    }

    internal static string? ArchitectureDifference(ElmoOptions saved, ElmoOptions given)
    {
        static string F(float? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "null";
        if (saved.CharEmbeddingDim != given.CharEmbeddingDim) return $"char_cnn.embedding.dim ({saved.CharEmbeddingDim} vs {given.CharEmbeddingDim})";
        if (!saved.Filters.SequenceEqual(given.Filters)) return "char_cnn.filters";
        if (saved.HighwayLayers != given.HighwayLayers) return $"char_cnn.n_highway ({saved.HighwayLayers} vs {given.HighwayLayers})";
        if (saved.Activation != given.Activation) return $"char_cnn.activation ({saved.Activation} vs {given.Activation})";
        if (saved.MaxCharactersPerToken != given.MaxCharactersPerToken) return $"char_cnn.max_characters_per_token ({saved.MaxCharactersPerToken} vs {given.MaxCharactersPerToken})";
        if (saved.LstmDim != given.LstmDim) return $"lstm.dim ({saved.LstmDim} vs {given.LstmDim})";
        if (saved.ProjectionDim != given.ProjectionDim) return $"lstm.projection_dim ({saved.ProjectionDim} vs {given.ProjectionDim})";
        if (saved.LstmLayers != given.LstmLayers) return $"lstm.n_layers ({saved.LstmLayers} vs {given.LstmLayers})";
        if (saved.CellClip != given.CellClip) return $"lstm.cell_clip ({F(saved.CellClip)} vs {F(given.CellClip)})";
        if (saved.ProjectionClip != given.ProjectionClip) return $"lstm.proj_clip ({F(saved.ProjectionClip)} vs {F(given.ProjectionClip)})";
        if (saved.UseSkipConnections != given.UseSkipConnections) return $"lstm.use_skip_connections ({saved.UseSkipConnections} vs {given.UseSkipConnections})";
        return null;
    }

    /// <summary>Whether a <see cref="StateInfoFileName"/> says its folder was written with a manifest (an unreadable one: yes).</summary>
    internal static bool DeclaresManifest(string infoPath)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(infoPath)) is not JsonObject info || info.ContainsKey(ManifestKey);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            return true;
        }
    }

    /// <summary>An integer field in [<paramref name="min"/>, <paramref name="max"/>]; otherwise one line naming the file and the field.</summary>
    private static long ReadInteger(JsonNode info, string key, string path, long min, long max)
    {
        var node = info[key] ?? throw new InvalidDataException($"{path}: missing key '{key}'");
        if (node is not JsonValue value || value.GetValueKind() != JsonValueKind.Number)
            throw new InvalidDataException($"{path}: '{key}' must be an integer");
        if (!value.TryGetValue(out long result) || result < min || result > max)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{path}: '{key}' is {node.ToJsonString()}, not an integer from {min} to {max}"));
        return result;
    }

    private static void ReadInto(string path, ParameterLayout layout, Func<string, string> datasetName, ParameterSet target)
    {
        using var file = OpenHdf5(path);
        foreach (var t in layout.Tensors) ReadDataset(file, path, datasetName(t.Name), t.Shape, target.View(t));
    }

    private static PureHDF.VOL.Native.NativeFile OpenHdf5(string path)
    {
        try
        {
            return H5File.OpenRead(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: not a readable HDF5 file ({e.Message})", e);
        }
    }

    /// <summary>Reads a float32 dataset of exactly <paramref name="shape"/> (dtype and every dimension checked before reading).</summary>
    private static void ReadDataset(PureHDF.VOL.Native.NativeFile file, string path, string name, int[] shape, Span<float> target)
    {
        float[] data;
        string expected = CheckpointTensor.FormatShape(shape);
        try
        {
            var dataset = file.Dataset(name);
            ulong[] dims = dataset.Space.Dimensions;
            if (dims.Length != shape.Length || dims.Where((d, i) => d != (ulong)shape[i]).Any())
                throw new InvalidDataException($"{path}: dataset '{name}' has shape ({string.Join(", ", dims)}), expected {expected}");
            if (dataset.Type.Class != H5DataTypeClass.FloatingPoint || dataset.Type.Size != 4)
                throw new InvalidDataException($"{path}: dataset '{name}' is not float32 ({dataset.Type.Class}, {dataset.Type.Size} bytes)");
            data = dataset.Read<float[]>();
        }
        catch (InvalidDataException)
        {
            throw;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: cannot read dataset '{name}' {expected} ({e.Message})", e);
        }
        if (data.Length != target.Length)
            throw new InvalidDataException($"{path}: dataset '{name}' holds {data.Length} values, expected {target.Length}");
        data.CopyTo(target);
    }
}
