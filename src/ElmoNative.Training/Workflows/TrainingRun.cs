using System.Diagnostics;
using System.Globalization;
using ElmoNative.Training.Data;

namespace ElmoNative.Training;

/// <summary>
/// A training run as <c>elmo train</c> makes it (docs/training.md): bilm-tf's recipe over windows of shuffled
/// sentences, a checkpoint folder (<see cref="TrainingCheckpointFolder"/>) saved every
/// <see cref="TrainingRunOptions.CheckpointEvery"/> windows and at the end, the validation perplexity at each
/// checkpoint, and an exact continuation from a saved folder (<see cref="TrainingRunOptions.ResumeFrom"/>): a run
/// stopped and resumed ends with the same parameters, bit for bit, as one that was not.
/// <para>
/// <see cref="Open"/> checks everything before any training (options, vocabulary, texts, the output folder) and
/// loads the trainer; nothing is written until <see cref="Run"/> saves its first checkpoint. Cancelling
/// <see cref="Run"/> saves a checkpoint first, then throws <see cref="OperationCanceledException"/>.
/// </para>
/// </summary>
public sealed class TrainingRun : IDisposable
{
    private const double SmoothingWeight = 0.02;

    private readonly TrainingWindowReader reader;
    private readonly BiLmTrainer trainer;
    private readonly TextCorpus? valid;
    private readonly int checkpointEvery;

    private TrainingRun(TrainingOptions options, Vocabulary vocabulary, TextCorpus train, TextCorpus? valid, TrainingWindowReader reader,
                        BiLmTrainer trainer, string output, long totalWindows, long windowsPerEpoch, int checkpointEvery)
    {
        Options = options;
        Vocabulary = vocabulary;
        TrainCorpus = train;
        this.valid = valid;
        this.reader = reader;
        this.trainer = trainer;
        OutputDirectory = output;
        TotalWindows = totalWindows;
        WindowsPerEpoch = windowsPerEpoch;
        this.checkpointEvery = checkpointEvery;
        FirstWindow = trainer.Step;
    }

    /// <summary>The training options of the run.</summary>
    public TrainingOptions Options { get; }

    /// <summary>The vocabulary of the run.</summary>
    public Vocabulary Vocabulary { get; }

    /// <summary>The training text.</summary>
    public TextCorpus TrainCorpus { get; }

    /// <summary>The validation text, or null.</summary>
    public TextCorpus? ValidCorpus => valid;

    /// <summary>
    /// What <see cref="Open"/> accepted but a user should know, one line each: a resumed checkpoint written before
    /// manifests existed, whose files could not be verified.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; private init; } = [];

    /// <summary>For a fine-tuning run (<see cref="TrainingRunOptions.InitFrom"/>), where its weights came from and how much of the softmax; null otherwise.</summary>
    public FineTuningStart? Initialization { get; private init; }

    /// <summary>The checkpoint folder written.</summary>
    public string OutputDirectory { get; }

    /// <summary>The seed of the run (the checkpoint's on a resume).</summary>
    public int Seed => reader.Position.Seed;

    /// <summary>Trainable floats of the model (checkpoint tensors plus the softmax).</summary>
    public long ParameterCount => trainer.ParameterCount;

    /// <summary>Windows trained before this run (non-zero on a resume).</summary>
    public long FirstWindow { get; }

    /// <summary>Windows trained so far, in all.</summary>
    public long Window => trainer.Step;

    /// <summary>The window the run stops after: n_epochs x <see cref="WindowsPerEpoch"/>, or <see cref="TrainingRunOptions.MaxWindows"/> if smaller.</summary>
    public long TotalWindows { get; }

    /// <summary>n_train_tokens (default: the tokens of the training text) / (batch_size x unroll_steps), at least 1.</summary>
    public long WindowsPerEpoch { get; }

    /// <summary>Tokens per direction in one window: batch_size x unroll_steps.</summary>
    public long TokensPerWindow => (long)Options.BatchSize * Options.UnrollSteps;

    /// <summary>
    /// Checks and loads everything a run needs; see <see cref="TrainingRunOptions"/>. Errors name the file or folder:
    /// <see cref="FileNotFoundException"/>, <see cref="DirectoryNotFoundException"/>, <see cref="InvalidDataException"/>
    /// (bad or contradicting input), <see cref="FormatException"/> (bad options), <see cref="IOException"/> (an output
    /// that is a file, or not empty); <see cref="ArgumentException"/> when the output folder would replace an input.
    /// </summary>
    public static TrainingRun Open(TrainingRunOptions options, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.TrainFiles.Count == 0) throw new ArgumentException("no training files given", nameof(options));
        if (options.CheckpointEvery < 0) throw new ArgumentOutOfRangeException(nameof(options), options.CheckpointEvery, "CheckpointEvery must be 0 or positive");
        if (options.MaxWindows is <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxWindows, "MaxWindows must be positive");
        string resume = options.ResumeFrom ?? "";
        bool resuming = options.ResumeFrom is not null;
        string output = options.OutputDirectory ?? options.ResumeFrom ?? throw new ArgumentException("no output directory given", nameof(options));
        if (resuming && options.InitFrom is not null) throw new ArgumentException("give either ResumeFrom or InitFrom, not both (a fine-tuning run is resumed like any other)", nameof(options));
        string? optionsPath = options.Options is null ? options.OptionsFile : null;
        string? vocabPath = options.Vocabulary is null ? options.VocabularyFile : null;

        TrainingOptions? given = options.Options;
        if (given is null && optionsPath is not null)
        {
            RequireFile(optionsPath, "training options file");
            given = TrainingOptionsFile.Load(optionsPath);
        }
        string givenName = optionsPath ?? "the given training options";
        TrainingOptions trainingOptions;
        WindowReaderPosition? position = null;
        Vocabulary? savedVocabulary = null;
        int seed;
        // A save of a killed run cut short: finished or rolled back before anything looks at the folders (docs/training.md).
        TrainingCheckpointFolder.Recover(output);
        string? warning = null;
        if (resuming)
        {
            TrainingCheckpointFolder.Recover(resume);
            if (!Directory.Exists(resume))
                throw new DirectoryNotFoundException(Checkpoints.CheckpointFolderSwap.LiveSaver(resume) is int saver
                    ? $"{resume}: checkpoint directory is being saved by the running process {saver}"
                    : $"{resume}: checkpoint directory to resume not found");
            warning = TrainingCheckpointFolder.Verify(resume); // every file against manifest.json
            string savedOptionsPath = Path.Combine(resume, TrainingOptionsFile.FileName);
            string positionPath = Path.Combine(resume, WindowReaderPosition.FileName);
            string savedVocabPath = Path.Combine(resume, TrainingCheckpointFolder.VocabularyFileName);
            foreach (string f in new[] { savedOptionsPath, positionPath, savedVocabPath })
                if (!File.Exists(f)) throw new FileNotFoundException($"{f}: not found ({resume} is not a checkpoint written by 'elmo train')", f);
            var saved = TrainingOptionsFile.Load(savedOptionsPath);
            if (given is not null)
            {
                var differences = TrainingOptionsFile.Differences(saved, given);
                if (differences.Count > 0)
                    throw new InvalidDataException($"{givenName}: contradicts the checkpoint in {resume} ({string.Join("; ", differences)})");
            }
            trainingOptions = given ?? saved;
            position = WindowReaderPosition.Load(positionPath);
            if (options.Seed is { } s && s != position.Seed)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"seed {s} contradicts the checkpoint in {resume}, which was trained with seed {position.Seed}"));
            seed = position.Seed;
            savedVocabulary = Vocabulary.Load(savedVocabPath);
        }
        else if (options.InitFrom is { } init)
        {
            trainingOptions = FineTuningOptions(init, given, givenName, options.Vocabulary ?? (vocabPath is null ? null : Vocabulary.Load(vocabPath)), out savedVocabulary);
            seed = options.Seed ?? 0;
        }
        else
        {
            trainingOptions = given ?? throw new ArgumentException("a new run needs training options (Options or OptionsFile)", nameof(options));
            seed = options.Seed ?? 0;
        }
        var vocabulary = options.Vocabulary ?? (vocabPath is null ? savedVocabulary : Vocabulary.Load(vocabPath))
            ?? throw new ArgumentException("a new run needs a vocabulary (Vocabulary or VocabularyFile)", nameof(options));
        string vocabName = options.Vocabulary is not null ? "the given vocabulary" : vocabPath ?? options.InitFrom?.VocabularyFile ?? Path.Combine(resume, TrainingCheckpointFolder.VocabularyFileName);
        if (options.InitFrom is not null) savedVocabulary = null; // a fine-tuning run's vocabulary may differ from the checkpoint's
        if (vocabulary.Count != trainingOptions.VocabularySize)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{vocabName}: vocabulary has {vocabulary.Count} tokens but n_tokens_vocab is {trainingOptions.VocabularySize} in {(given is null ? Path.Combine(resume, TrainingOptionsFile.FileName) : givenName)}"));
        if (savedVocabulary is not null && !savedVocabulary.Words.SequenceEqual(vocabulary.Words))
            throw new InvalidDataException($"{vocabName}: differs from the vocabulary of the checkpoint in {resume}");

        var train = TextCorpus.Open(options.TrainFiles, cancellation);
        var valid = options.ValidFiles.Count > 0 ? TextCorpus.Open(options.ValidFiles, cancellation) : null;
        CheckOutput(output, options.ResumeFrom, options.ReplaceOutput, [optionsPath, vocabPath, .. train.Files.Select(f => f.Path), .. valid?.Files.Select(f => f.Path) ?? [], .. options.InitFrom?.Files ?? []]);

        int b = trainingOptions.BatchSize, t = trainingOptions.UnrollSteps, w = trainingOptions.Model.MaxCharactersPerToken;
        long tokensPerEpoch = trainingOptions.TrainTokens ?? train.Tokens;
        long windowsPerEpoch = Math.Max(1, tokensPerEpoch / ((long)b * t));
        long totalWindows = trainingOptions.Epochs * windowsPerEpoch;
        if (options.MaxWindows is { } max) totalWindows = Math.Min(totalWindows, max);

        TrainingWindowReader reader;
        try
        {
            reader = new TrainingWindowReader(train, vocabulary, b, t, w, seed, position);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{Path.Combine(resume, WindowReaderPosition.FileName)}: {e.Message} (the training text or options changed)", e);
        }
        FineTuningStart? initialization = null;
        BiLmTrainer trainer;
        if (resuming) trainer = BiLmTrainer.Load(resume, trainingOptions);
        else if (options.InitFrom is { } from)
        {
            trainer = BiLmTrainer.InitializeFrom(from, trainingOptions, vocabulary, seed, out var start);
            initialization = start;
        }
        else trainer = new BiLmTrainer(trainingOptions, seed);
        if (trainer.Step != reader.WindowsRead || trainer.Seed != seed)
        {
            string state = Path.Combine(resume, BiLmTrainer.StateInfoFileName), positionFile = Path.Combine(resume, WindowReaderPosition.FileName);
            string what = trainer.Step != reader.WindowsRead
                ? $"step {trainer.Step} in {state}, window {reader.WindowsRead} in {positionFile}"
                : $"seed {trainer.Seed} in {state}, seed {seed} in {positionFile}";
            trainer.Dispose();
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"{resume}: inconsistent checkpoint ({what})"));
        }
        return new TrainingRun(trainingOptions, vocabulary, train, valid, reader, trainer, output, totalWindows, windowsPerEpoch, options.CheckpointEvery)
        {
            Warnings = warning is null ? [] : [warning],
            Initialization = initialization,
        };
    }

    /// <summary>
    /// Trains from <see cref="Window"/> to <see cref="TotalWindows"/> (nothing when already there), saving checkpoints
    /// as <see cref="TrainingRunOptions.CheckpointEvery"/> says and at the end, each after measuring the validation
    /// perplexity. <paramref name="progress"/> is called on this thread (see <see cref="TrainingProgress"/>).
    /// Cancellation: between windows, a checkpoint (without validation) is saved, then
    /// <see cref="OperationCanceledException"/> is thrown; during a validation, the validation is skipped, the
    /// checkpoint saved and reported, then the exception thrown. A loss that is not finite throws
    /// <see cref="TrainingDivergedException"/> (the last checkpoint is kept).
    /// </summary>
    public TrainingRunResult Run(IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        long first = trainer.Step;
        var stepTime = TimeSpan.Zero; // reading and training only: checkpoints and validation excluded
        if (first >= TotalWindows) return new TrainingRunResult(0, 0, stepTime, double.NaN, null);
        var window = new TrainingWindow(Options.BatchSize, Options.UnrollSteps, Options.Model.MaxCharactersPerToken);
        // Mean sampled-softmax losses: since the last checkpoint (reported there) and a moving average (each window).
        double sinceForward = 0, sinceBackward = 0, smoothed = double.NaN;
        long sinceWindows = 0;
        Perplexities? lastValid = null;
        double lastTrainLoss = double.NaN;
        while (trainer.Step < TotalWindows)
        {
            if (cancellation.IsCancellationRequested)
            {
                Checkpoint(withValidation: false, cancellation);
                cancellation.ThrowIfCancellationRequested();
            }
            long started = Stopwatch.GetTimestamp();
            reader.Read(window);
            var step = trainer.TrainStep(window);
            stepTime += Stopwatch.GetElapsedTime(started);
            double loss = (step.ForwardLoss + step.BackwardLoss) / 2;
            if (!double.IsFinite(loss))
                throw new TrainingDivergedException(string.Format(CultureInfo.InvariantCulture, "training diverged at window {0} (loss {1}); the last checkpoint in {2} is kept", trainer.Step, loss, OutputDirectory));
            sinceForward += step.ForwardLoss;
            sinceBackward += step.BackwardLoss;
            sinceWindows++;
            smoothed = double.IsNaN(smoothed) ? loss : (1 - SmoothingWeight) * smoothed + SmoothingWeight * loss;
            var report = new TrainingProgress
            {
                Kind = TrainingProgressKind.Window,
                Window = trainer.Step,
                TotalWindows = TotalWindows,
                WindowsThisRun = trainer.Step - first,
                TokensThisRun = (trainer.Step - first) * TokensPerWindow,
                EpochNumber = (trainer.Step - 1) / WindowsPerEpoch + 1,
                Epochs = (double)trainer.Step / WindowsPerEpoch,
                LastStep = step,
                SmoothedLoss = smoothed,
            };
            progress?.Report(report);
            bool last = trainer.Step == TotalWindows;
            if (last || (checkpointEvery > 0 && trainer.Step % checkpointEvery == 0))
            {
                lastTrainLoss = (sinceForward + sinceBackward) / (2 * sinceWindows);
                lastValid = Checkpoint(withValidation: valid is not null, cancellation);
                var saved = new TrainingCheckpointReport(OutputDirectory, sinceForward / sinceWindows, sinceBackward / sinceWindows, lastTrainLoss, sinceWindows, lastValid);
                progress?.Report(report with { Kind = TrainingProgressKind.Checkpoint, Checkpoint = saved });
                cancellation.ThrowIfCancellationRequested(); // cancelled during the validation: the checkpoint is saved
                sinceForward = sinceBackward = 0;
                sinceWindows = 0;
            }
        }
        long windows = trainer.Step - first;
        return new TrainingRunResult(windows, windows * TokensPerWindow, stepTime, lastTrainLoss, lastValid);
    }

    /// <summary>Opens a run (<see cref="Open"/>) and runs it (<see cref="Run"/>) on a thread-pool thread.</summary>
    public static Task<TrainingRunResult> RunAsync(TrainingRunOptions options, IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Task.Run(() =>
        {
            using var run = Open(options, cancellation);
            return run.Run(progress, cancellation);
        }, CancellationToken.None); // started even when already cancelled: a resumed run then saves its checkpoint
    }

    /// <inheritdoc/>
    public void Dispose() => trainer.Dispose();

    /// <summary>
    /// Measures the validation perplexity (skipped if cancelled meanwhile), then saves the whole checkpoint
    /// (<see cref="TrainingCheckpointFolder.Save"/>).
    /// </summary>
    private Perplexities? Checkpoint(bool withValidation, CancellationToken cancellation)
    {
        Perplexities? result = null;
        if (withValidation)
        {
            try
            {
                result = Perplexities.Evaluate(trainer, valid!, Vocabulary, progress: null, cancellation);
            }
            catch (OperationCanceledException)
            {
                trainer.ResetEvaluationState();
            }
        }
        TrainingCheckpointFolder.Save(OutputDirectory, trainer, reader.Position, Vocabulary);
        return result;
    }

    /// <summary>
    /// The training options of a fine-tuning run: the checkpoint's architecture with the given hyper-parameters (whose
    /// architecture must agree: otherwise one line naming the given file and the field), else those of the checkpoint's
    /// <c>train_options.json</c>, else bilm-tf's defaults; <c>n_tokens_vocab</c> is the vocabulary's when not given.
    /// <paramref name="checkpointVocabulary"/> is the checkpoint's <c>vocab.txt</c> when no vocabulary is given.
    /// </summary>
    private static TrainingOptions FineTuningOptions(PretrainedModel init, TrainingOptions? given, string givenName, Vocabulary? vocabulary, out Vocabulary? checkpointVocabulary)
    {
        RequireFile(init.OptionsFile, "options file of the checkpoint to fine-tune");
        RequireFile(init.WeightsFile, "weights file of the checkpoint to fine-tune");
        ElmoOptions model;
        try
        {
            model = ElmoOptions.Load(init.OptionsFile) with { CharacterCount = 262 };
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{init.OptionsFile}: invalid options ({e.Message})", e);
        }
        checkpointVocabulary = vocabulary is null && init.VocabularyFile is not null ? Vocabulary.Load(init.VocabularyFile) : null;
        if (given is not null)
        {
            string? difference = BiLmTrainer.ArchitectureDifference(model, given.Model);
            if (difference is not null)
                throw new InvalidDataException($"{givenName}: {difference.Replace(" (", " (checkpoint ", StringComparison.Ordinal).Replace(" vs ", ", given ", StringComparison.Ordinal)} does not match the checkpoint's {init.OptionsFile}");
            return given with { Model = model };
        }
        var size = (vocabulary ?? checkpointVocabulary)?.Count
            ?? throw new ArgumentException("a fine-tuning run needs a vocabulary (Vocabulary or VocabularyFile) when the checkpoint has no vocab.txt", nameof(vocabulary));
        var baseline = init.TrainingOptionsFile is not null
            ? TrainingOptionsFile.Load(init.TrainingOptionsFile)
            : new TrainingOptions { Model = model, VocabularySize = size };
        return baseline with
        {
            Model = model,
            VocabularySize = size,
            NegativeSamples = Math.Min(baseline.NegativeSamples, size),
            TrainTokens = null, // the new text's size
        };
    }

    private static void RequireFile(string path, string what)
    {
        if (Directory.Exists(path)) throw new FileNotFoundException($"{path}: {what} is a directory, not a file", path);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: {what} not found", path);
    }

    /// <summary>The output folder: new, empty, the resumed one, or replaced; never one holding an input.</summary>
    private static void CheckOutput(string output, string? resume, bool replace, IEnumerable<string?> inputs)
    {
        string full = Path.GetFullPath(output);
        if (File.Exists(full)) throw new IOException($"{output}: output is a file, not a directory");
        string? parent = Path.GetDirectoryName(full.TrimEnd(Path.DirectorySeparatorChar));
        if (parent is null) throw new ArgumentException("the output directory cannot be the root directory", nameof(output));
        if (!Directory.Exists(parent)) throw new DirectoryNotFoundException($"{output}: parent directory {parent} does not exist");
        string prefix = full.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        foreach (string? input in inputs)
        {
            if (input is not null && Path.GetFullPath(input).StartsWith(prefix, StringComparison.Ordinal))
                throw new ArgumentException($"the output directory {output} holds the input {input}; it would be replaced");
        }
        if (!replace && !IsResumedFolder(output, resume) && Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw new IOException($"{output}: directory is not empty (replace it with ReplaceOutput)");
    }

    /// <summary>Whether <paramref name="output"/> is the folder <paramref name="resume"/> names (a run continued in place).</summary>
    internal static bool IsResumedFolder(string output, string? resume) =>
        resume is not null && string.Equals(Path.GetFullPath(resume).TrimEnd(Path.DirectorySeparatorChar), Path.GetFullPath(output).TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal);
}
