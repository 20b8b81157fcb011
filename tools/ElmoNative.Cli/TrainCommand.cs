using System.Diagnostics;
using System.Globalization;
using ElmoNative.Checkpoints;
using ElmoNative.Training;
using ElmoNative.Training.Data;

namespace ElmoNative.Cli;

/// <summary>
/// <c>elmo train</c>: trains a biLM with bilm-tf's recipe (spec section 9) on one-sentence-per-line text, writing
/// checkpoints that load in the inference path and that <c>--resume</c> continues exactly.
/// </summary>
internal static class TrainCommand
{
    /// <summary>The copy of the vocabulary a checkpoint directory holds.</summary>
    public const string VocabularyFileName = "vocab.txt";

    /// <summary>The command and its options.</summary>
    public static ElmoCommand Create()
    {
        var command = new ElmoCommand("train", "train a biLM on one-sentence-per-line text (bilm-tf's recipe), with checkpoints and --resume", Run)
        {
            Synopsis =
            [
                "elmo train --options train_options.json --vocab vocab.txt --train FILE|GLOB... --output DIR",
                "           [--valid FILE|GLOB...] [--seed N] [--threads N] [--checkpoint-every N] [--max-windows N]",
                "           [--force] [--progress|--no-progress]",
                "elmo train --resume DIR [--output DIR] --train FILE|GLOB... [--vocab vocab.txt] [--options F] [...]",
            ],
            Details = """
                Trains a bidirectional LM as bilm-tf does: windows of batch_size rows x unroll_steps tokens cut from the shuffled
                sentences (each pass over the data reshuffles the files and their sentences, from the seed), sampled softmax,
                Adagrad, gradient clipping; n_epochs x n_train_tokens / (batch_size x unroll_steps) windows in all
                (n_train_tokens defaults to the words plus one boundary per sentence of the training text).

                DIR then holds a checkpoint: options.json and weights.hdf5 (spec layout, plus softmax/W and softmax/b, which
                inference ignores) for 'elmo embed --model DIR', the optimizer and LSTM state, train_options.json,
                reader_position.json and vocab.txt. It is written to a sibling temporary directory and swapped in whole.
                """,
            Notes = "Ctrl+C saves a checkpoint before exiting (exit status 130); run again with --resume DIR to continue.",
        };
        command.Value("--options", "FILE", "training options in bilm-tf's format (see docs/training.md, examples/training/)");
        command.Value("--vocab", "FILE", "vocabulary (elmo vocab); its size must equal n_tokens_vocab");
        command.List("--train", "FILE|GLOB...", "training text: files or quoted patterns ('data/train/*.txt')");
        command.Value("--output", "DIR", "checkpoint directory; must not exist or be empty unless --force");
        command.List("--valid", "FILE|GLOB...", "validation text: full-softmax perplexity at each checkpoint and at the end");
        command.Value("--seed", "N", "seed of the initialization, the shuffles, the samples and dropout (default 0)");
        command.Value("--checkpoint-every", "N", "save a checkpoint every N windows (default 1000; 0: only at the end)");
        command.Value("--max-windows", "N", "stop after N windows in all (counting those before a resume), e.g. for a short run");
        command.Value("--resume", "DIR", "continue the run saved in DIR (options, vocabulary and seed default to the saved ones; given ones must agree, except n_epochs and n_train_tokens); --output defaults to DIR");
        command.Switch(CommonOptions.Force, "replace a non-empty --output directory");
        CommonOptions.Threads(command);
        CommonOptions.Progress(command);
        CommonOptions.AddQuiet(command);
        return command;
    }

    private static int Run(CommandContext context, OptionValues args)
    {
        var trainPatterns = args.List("--train");
        var validPatterns = args.List("--valid");
        string? resume = args.Value("--resume");
        string? optionsPath = args.Value("--options"), vocabPath = args.Value("--vocab");
        if (trainPatterns.Count == 0) throw args.Error("missing option '--train'");
        if (resume is null && optionsPath is null) throw args.Error("missing option '--options'");
        if (resume is null && vocabPath is null) throw args.Error("missing option '--vocab'");
        string output = args.Value("--output") ?? resume ?? throw args.Error("missing option '--output'");
        int? seedOption = args.Value("--seed") is null ? null : args.Int("--seed", 0);
        int checkpointEvery = args.Int("--checkpoint-every", 1000);
        if (checkpointEvery < 0) throw args.Error($"--checkpoint-every must be 0 or a positive integer, not '{checkpointEvery}'");
        long? maxWindows = args.OptionalPositiveInt("--max-windows");
        bool force = args.Has("--force");
        using var threads = CommandContext.Threads(args);

        // Everything is checked before any training: options, vocabulary, texts, the output directory.
        TrainingOptions? given = null;
        if (optionsPath is not null)
        {
            RequireFile(optionsPath, "training options file");
            given = TrainingOptionsFile.Load(optionsPath);
        }
        TrainingOptions options;
        WindowReaderPosition? position = null;
        Vocabulary? savedVocabulary = null;
        int seed;
        if (resume is not null)
        {
            if (!Directory.Exists(resume)) throw CliException.DataError($"{resume}: checkpoint directory to resume not found");
            string savedOptionsPath = Path.Combine(resume, TrainingOptionsFile.FileName);
            string positionPath = Path.Combine(resume, WindowReaderPosition.FileName);
            string savedVocabPath = Path.Combine(resume, VocabularyFileName);
            foreach (string f in new[] { savedOptionsPath, positionPath, savedVocabPath })
                if (!File.Exists(f)) throw CliException.DataError($"{f}: not found ({resume} is not a checkpoint written by 'elmo train')");
            var saved = TrainingOptionsFile.Load(savedOptionsPath);
            if (given is not null)
            {
                var differences = TrainingOptionsFile.Differences(saved, given);
                if (differences.Count > 0)
                    throw CliException.DataError($"{optionsPath}: contradicts the checkpoint in {resume} ({string.Join("; ", differences)})");
            }
            options = given ?? saved;
            position = WindowReaderPosition.Load(positionPath);
            if (seedOption is { } s && s != position.Seed)
                throw CliException.DataError($"--seed {s} contradicts the checkpoint in {resume}, which was trained with seed {position.Seed}");
            seed = position.Seed;
            savedVocabulary = Vocabulary.Load(savedVocabPath);
        }
        else
        {
            options = given!;
            seed = seedOption ?? 0;
        }
        var vocabulary = vocabPath is null ? savedVocabulary! : Vocabulary.Load(vocabPath);
        string vocabName = vocabPath ?? Path.Combine(resume!, VocabularyFileName);
        if (vocabulary.Count != options.VocabularySize)
            throw CliException.DataError(string.Create(CultureInfo.InvariantCulture,
                $"{vocabName}: vocabulary has {vocabulary.Count} tokens but n_tokens_vocab is {options.VocabularySize} in {optionsPath ?? Path.Combine(resume!, TrainingOptionsFile.FileName)}"));
        if (savedVocabulary is not null && !savedVocabulary.Words.SequenceEqual(vocabulary.Words))
            throw CliException.DataError($"{vocabName}: differs from the vocabulary of the checkpoint in {resume}");

        var train = TextCorpus.Open(trainPatterns, context.Cancellation);
        var valid = validPatterns.Count > 0 ? TextCorpus.Open(validPatterns, context.Cancellation) : null;
        CheckOutput(output, resume, force, [optionsPath, vocabPath, .. train.Files.Select(f => f.Path), .. valid?.Files.Select(f => f.Path) ?? []]);

        int b = options.BatchSize, t = options.UnrollSteps, w = options.Model.MaxCharactersPerToken;
        long tokensPerEpoch = options.TrainTokens ?? train.Tokens;
        long windowsPerEpoch = Math.Max(1, tokensPerEpoch / ((long)b * t));
        long totalWindows = options.Epochs * windowsPerEpoch;
        if (maxWindows is { } max) totalWindows = Math.Min(totalWindows, max);

        TrainingWindowReader reader;
        BiLmTrainer trainer;
        try
        {
            reader = new TrainingWindowReader(train, vocabulary, b, t, w, seed, position);
        }
        catch (InvalidDataException e)
        {
            throw CliException.DataError($"{Path.Combine(resume!, WindowReaderPosition.FileName)}: {e.Message} (the training text or options changed)");
        }
        trainer = resume is null ? new BiLmTrainer(options, seed) : BiLmTrainer.Load(resume, options);
        using var trainerScope = trainer;
        if (trainer.Step != reader.WindowsRead)
            throw CliException.DataError($"{resume}: inconsistent checkpoint (trainer at window {trainer.Step}, reader at window {reader.WindowsRead})");

        var run = new TrainingRun(context, args, options, vocabulary, valid, reader, trainer, output, totalWindows, windowsPerEpoch, checkpointEvery);
        return run.Train();
    }

    private static void RequireFile(string path, string what)
    {
        if (Directory.Exists(path)) throw CliException.DataError($"{path}: {what} is a directory, not a file");
        if (!File.Exists(path)) throw CliException.DataError($"{path}: {what} not found");
    }

    /// <summary>The output directory: new, empty, the resumed one, or replaced with --force; never one holding an input.</summary>
    private static void CheckOutput(string output, string? resume, bool force, IEnumerable<string?> inputs)
    {
        string full = Path.GetFullPath(output);
        if (File.Exists(full)) throw CliException.DataError($"{output}: output is a file, not a directory");
        string? parent = Path.GetDirectoryName(full.TrimEnd(Path.DirectorySeparatorChar));
        if (parent is null) throw CliException.UsageError($"train: --output cannot be the root directory");
        if (!Directory.Exists(parent)) throw CliException.DataError($"{output}: parent directory {parent} does not exist");
        string prefix = full.TrimEnd(Path.DirectorySeparatorChar) + Path.DirectorySeparatorChar;
        foreach (string? input in inputs)
        {
            if (input is not null && Path.GetFullPath(input).StartsWith(prefix, StringComparison.Ordinal))
                throw CliException.UsageError($"train: the output directory {output} holds the input {input}; it would be replaced");
        }
        bool same = resume is not null && string.Equals(Path.GetFullPath(resume).TrimEnd(Path.DirectorySeparatorChar), full.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal);
        if (!same && !force && Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw CliException.DataError($"{output}: directory is not empty (pass --force to replace it)");
    }

    /// <summary>One training run: the loop, checkpoints, validation and the summary.</summary>
    private sealed class TrainingRun(
        CommandContext context, OptionValues args, TrainingOptions options, Vocabulary vocabulary, TextCorpus? valid,
        TrainingWindowReader reader, BiLmTrainer trainer, string output, long totalWindows, long windowsPerEpoch, int checkpointEvery)
    {
        private readonly CultureInfo c = CultureInfo.InvariantCulture;

        public int Train()
        {
            long first = trainer.Step;
            long tokensPerWindow = (long)options.BatchSize * options.UnrollSteps;
            var window = new TrainingWindow(options.BatchSize, options.UnrollSteps, options.Model.MaxCharactersPerToken);
            var clock = Stopwatch.StartNew();
            var stepTime = TimeSpan.Zero; // reading and training only: checkpoints and validation excluded
            context.Error.Flush();
            if (first >= totalWindows)
            {
                context.Out.WriteLine(string.Format(c, "{0}: already trained {1} windows (target {2}); nothing to do", output, first, totalWindows));
                context.Summary = new RunSummary("0 windows (nothing to do)", output);
                return 0;
            }
            context.Out.WriteLine(string.Format(c, "{0} {1:N0} parameters (V {2}, B {3} x T {4}, S {5}); {6:N0} windows of {7:N0} tokens per epoch, {8} epochs, windows {9} to {10}; seed {11}",
                first == 0 ? "training" : "resuming", trainer.ParameterCount, options.VocabularySize, options.BatchSize, options.UnrollSteps, options.NegativeSamples,
                windowsPerEpoch, tokensPerWindow, options.Epochs, first + 1, totalWindows, reader.Position.Seed));
            context.Out.Flush();
            // Mean sampled-softmax losses: since the last checkpoint (reported there) and a moving average (progress).
            double sinceForward = 0, sinceBackward = 0, smoothed = double.NaN;
            long sinceWindows = 0;
            Perplexities? lastValid = null;
            double lastTrainLoss = double.NaN;
            using (var progress = new ProgressBar(context.Error, context.Progress(args), "train", totalWindows - first, "windows", "tokens"))
            {
                while (trainer.Step < totalWindows)
                {
                    if (context.Cancellation.IsCancellationRequested)
                    {
                        progress.Dispose();
                        Checkpoint(withValidation: false);
                        throw Interrupted();
                    }
                    long started = Stopwatch.GetTimestamp();
                    reader.Read(window);
                    var step = trainer.TrainStep(window);
                    stepTime += Stopwatch.GetElapsedTime(started);
                    double loss = (step.ForwardLoss + step.BackwardLoss) / 2;
                    if (!double.IsFinite(loss))
                        throw CliException.DataError(string.Format(c, "training diverged at window {0} (loss {1}); the last checkpoint in {2} is kept", trainer.Step, loss, output));
                    sinceForward += step.ForwardLoss;
                    sinceBackward += step.BackwardLoss;
                    sinceWindows++;
                    smoothed = double.IsNaN(smoothed) ? loss : 0.98 * smoothed + 0.02 * loss;
                    long done = trainer.Step - first;
                    progress.Detail = string.Format(c, "epoch {0}, loss {1:F3}, perplexity {2:F1}", (trainer.Step - 1) / windowsPerEpoch + 1, smoothed, Math.Exp(smoothed));
                    progress.Update(done, done * tokensPerWindow);
                    bool last = trainer.Step == totalWindows;
                    if (last || (checkpointEvery > 0 && trainer.Step % checkpointEvery == 0))
                    {
                        lastTrainLoss = (sinceForward + sinceBackward) / (2 * sinceWindows);
                        lastValid = Checkpoint(withValidation: valid is not null);
                        string line = string.Format(c, "window {0}/{1} (epoch {2:F2}): train perplexity {3:F2} (sampled softmax, forward {4:F2}, backward {5:F2}, {6} windows)",
                            trainer.Step, totalWindows, (double)trainer.Step / windowsPerEpoch, Math.Exp(lastTrainLoss), Math.Exp(sinceForward / sinceWindows), Math.Exp(sinceBackward / sinceWindows), sinceWindows);
                        if (lastValid is { } v) line += ", valid perplexity " + v.Format();
                        progress.Dispose(); // a terminal bar is erased and redrawn after the line
                        context.Out.WriteLine(line + "; saved " + output);
                        context.Out.Flush();
                        if (context.Cancellation.IsCancellationRequested) throw Interrupted(); // Ctrl+C during validation
                        sinceForward = sinceBackward = 0;
                        sinceWindows = 0;
                    }
                }
                progress.Finish();
            }
            double seconds = clock.Elapsed.TotalSeconds;
            long tokens = (trainer.Step - first) * tokensPerWindow;
            string summary = string.Format(c, "trained {0} windows ({1} tokens per direction) in {2:F1} s ({3:F1} s of training steps, {4:F0} tokens/s); final train perplexity {5:F2} (sampled softmax)",
                trainer.Step - first, tokens, seconds, stepTime.TotalSeconds, tokens / Math.Max(stepTime.TotalSeconds, 1e-9), Math.Exp(lastTrainLoss));
            if (lastValid is { } final) summary += ", valid perplexity " + final.Format();
            context.Out.WriteLine(summary + "; model in " + output);
            context.Summary = new RunSummary(string.Format(c, "{0} windows, {1} tokens per direction", trainer.Step - first, tokens), output, tokens, "tokens");
            return 0;
        }

        private CliException Interrupted() =>
            new(string.Format(c, "interrupted at window {0}; checkpoint saved in {1} (continue with --resume {1})", trainer.Step, output), 130);

        /// <summary>
        /// Measures the validation perplexity (skipped if Ctrl+C comes meanwhile), then saves the whole checkpoint into a
        /// sibling temporary directory and swaps it in for the output.
        /// </summary>
        private Perplexities? Checkpoint(bool withValidation)
        {
            Perplexities? result = null;
            if (withValidation)
            {
                try
                {
                    result = Perplexities.Evaluate(trainer, valid!, vocabulary, context.Cancellation);
                }
                catch (OperationCanceledException)
                {
                    trainer.ResetEvaluationState();
                }
            }
            string full = Path.GetFullPath(output).TrimEnd(Path.DirectorySeparatorChar);
            string parent = Path.GetDirectoryName(full)!, name = Path.GetFileName(full);
            string tag = Guid.NewGuid().ToString("N")[..8];
            string temp = Path.Combine(parent, $".{name}.saving-{tag}");
            string old = Path.Combine(parent, $".{name}.old-{tag}");
            try
            {
                trainer.Save(temp);
                TrainingOptionsFile.Save(options, Path.Combine(temp, TrainingOptionsFile.FileName));
                reader.Position.Save(Path.Combine(temp, WindowReaderPosition.FileName));
                vocabulary.Save(Path.Combine(temp, VocabularyFileName));
                if (Directory.Exists(full))
                {
                    Directory.Move(full, old);
                    Directory.Move(temp, full);
                    Directory.Delete(old, recursive: true);
                }
                else
                {
                    Directory.Move(temp, full);
                }
            }
            catch
            {
                TryDelete(temp);
                if (!Directory.Exists(full) && Directory.Exists(old)) Directory.Move(old, full);
                throw;
            }
            return result;
        }

        private static void TryDelete(string directory)
        {
            try
            {
                if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
            }
        }
    }
}
