using System.Diagnostics;
using System.Globalization;
using ElmoNative.Output;
using ElmoNative.Training;
using ElmoNative.Training.Data;

namespace ElmoNative.Cli;

/// <summary>
/// <c>elmo train</c>: trains a biLM with bilm-tf's recipe (docs/model.md section 9) on one-sentence-per-line text, writing
/// checkpoints that load in the inference path and that <c>--resume</c> continues exactly.
/// </summary>
internal static class TrainCommand
{
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
                "elmo train --init-from DIR|NAME --train FILE|GLOB... --output DIR [--vocab vocab.txt] [--options F] [...]",
            ],
            Details = """
                Trains a bidirectional LM as bilm-tf does: windows of batch_size rows x unroll_steps tokens cut from the shuffled
                sentences (each pass over the data reshuffles the files and their sentences, from the seed), sampled softmax,
                Adagrad, gradient clipping; n_epochs x n_train_tokens / (batch_size x unroll_steps) windows in all
                (n_train_tokens defaults to the words plus one boundary per sentence of the training text).

                DIR then holds a checkpoint: options.json and weights.hdf5 (the layout of docs/model.md section 1, plus softmax/W and softmax/b, which
                inference ignores) for 'elmo embed --model DIR', the optimizer and LSTM state, train_options.json,
                reader_position.json, vocab.txt, and manifest.json (size and SHA-256 of each file, checked by --resume and
                by a model load). It is written to a sibling temporary directory and swapped in whole; a save cut short by
                a kill is finished or rolled back by the next run, resume or load.

                Fine-tuning: --init-from MODEL (a folder or a published model's name, as --model takes it) starts from that
                checkpoint's weights: character CNN, highway, projection and both LSTM stacks. Its options.json gives the
                architecture; a given --options must agree with it (otherwise an error naming the file and the field) and
                then gives the hyper-parameters, which by default are those of the checkpoint's train_options.json, else
                bilm-tf's defaults. The vocabulary defaults to the checkpoint's vocab.txt. Softmax rows come from the
                checkpoint for the words its vocab.txt holds; the others start fresh, and the whole softmax starts fresh
                for the new vocabulary when the checkpoint has none (published AllenNLP weights files do not; the shipped
                models/default does). Optimizer state starts fresh; the run saves and resumes like any other.
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
        command.Value("--init-from", "DIR|NAME", "fine-tune: start from this checkpoint's weights (a folder or a published model's name); the architecture is its own, a softmax it lacks starts fresh");
        ModelHub.AddRegistryOption(command);
        command.Switch(CommonOptions.Force, "replace a non-empty --output directory");
        CommonOptions.Threads(command);
        CommonOptions.Progress(command);
        CommonOptions.AddQuiet(command);
        return command;
    }

    private static int Run(CommandContext context, OptionValues args)
    {
        var trainPatterns = args.List("--train");
        string? resume = args.Value("--resume");
        string? optionsPath = args.Value("--options"), vocabPath = args.Value("--vocab");
        if (trainPatterns.Count == 0) throw args.Error("missing option '--train'");
        string? initFrom = args.Value("--init-from");
        if (resume is not null && initFrom is not null) throw args.Error("give either --resume DIR or --init-from MODEL, not both (a fine-tuning run is resumed with --resume)");
        if (resume is null && initFrom is null && optionsPath is null) throw args.Error("missing option '--options'");
        if (resume is null && initFrom is null && vocabPath is null) throw args.Error("missing option '--vocab'");
        if (initFrom is not null && args.Value("--output") is null) throw args.Error("missing option '--output'");
        string output = args.Value("--output") ?? resume ?? throw args.Error("missing option '--output'");
        int? seedOption = args.Value("--seed") is null ? null : args.Int("--seed", 0);
        int checkpointEvery = args.Int("--checkpoint-every", 1000);
        if (checkpointEvery < 0) throw args.Error($"--checkpoint-every must be 0 or a positive integer, not '{checkpointEvery}'");
        long? maxWindows = args.OptionalPositiveInt("--max-windows");
        bool force = args.Has(CommonOptions.Force);
        using var threads = CommandContext.Threads(args);
        PretrainedModel? init = null;
        if (initFrom is not null)
        {
            var source = ModelSource.ResolveNamed(context, args, initFrom);
            init = PretrainedModel.FromFiles(source.OptionsPath, source.WeightsPath);
        }

        string full = Path.GetFullPath(output);
        if (Path.GetDirectoryName(full.TrimEnd(Path.DirectorySeparatorChar)) is null) throw CliException.UsageError("train: --output cannot be the root directory");
        TrainingCheckpointFolder.Recover(output); // a save of a killed run cut short: finished or rolled back first
        // A checkpoint save replaces the whole folder: no file the run reads may live inside it (the resumed
        // checkpoint's own files excepted, which the save writes again).
        var texts = trainPatterns.Concat(args.List("--valid")).SelectMany(ExistingFiles);
        bool inPlace = resume is not null && FileNode.Same(resume, output);
        OutputPath.RequireNoInputInside(output, inPlace ? texts : texts.Append(optionsPath).Append(vocabPath).Append(resume).Concat(init?.Files ?? []));
        if (!force && !TrainingRun.IsResumedFolder(output, resume) && Directory.Exists(full) && Directory.EnumerateFileSystemEntries(full).Any())
            throw CliException.DataError($"{output}: directory is not empty (pass --force to replace it)");
        var options = new TrainingRunOptions
        {
            TrainFiles = trainPatterns,
            ValidFiles = args.List("--valid"),
            OutputDirectory = output,
            ReplaceOutput = force,
            OptionsFile = optionsPath,
            VocabularyFile = vocabPath,
            ResumeFrom = resume,
            InitFrom = init,
            Seed = resume is null ? seedOption : null, // checked below, with the option's name
            CheckpointEvery = checkpointEvery,
            MaxWindows = maxWindows,
        };
        TrainingRun run;
        try
        {
            run = TrainingRun.Open(options, context.Cancellation); // everything is checked before any training
        }
        catch (ArgumentException e)
        {
            throw CliException.UsageError("train: " + e.Message);
        }
        using (run)
        {
            foreach (string warning in run.Warnings) context.Error.WriteLine("elmo: warning: " + warning);
            if (run.Initialization is { } start)
                context.Out.WriteLine(string.Format(CultureInfo.InvariantCulture, "fine-tuning from {0}: {1} of {2} softmax rows from the checkpoint ({3})",
                    start.Source.WeightsFile, start.SoftmaxRowsFromCheckpoint, start.VocabularySize, start.Reason));
            if (resume is not null && seedOption is { } s && s != run.Seed)
                throw CliException.DataError($"--seed {s} contradicts the checkpoint in {resume}, which was trained with seed {run.Seed}");
            return Train(context, args, run);
        }
    }

    /// <summary>Runs the training, printing the opening line, a line per checkpoint, the progress and the summary.</summary>
    private static int Train(CommandContext context, OptionValues args, TrainingRun run)
    {
        var c = CultureInfo.InvariantCulture;
        var o = run.Options;
        long first = run.FirstWindow;
        string output = run.OutputDirectory;
        var clock = Stopwatch.StartNew();
        context.Error.Flush();
        if (first >= run.TotalWindows)
        {
            context.Out.WriteLine(string.Format(c, "{0}: already trained {1} windows (target {2}); nothing to do", output, first, run.TotalWindows));
            context.Summary = new RunSummary("0 windows (nothing to do)", output);
            return 0;
        }
        context.Out.WriteLine(string.Format(c, "{0} {1:N0} parameters (V {2}, B {3} x T {4}, S {5}); {6:N0} windows of {7:N0} tokens per epoch, {8} epochs, windows {9} to {10}; seed {11}",
            first == 0 ? "training" : "resuming", run.ParameterCount, o.VocabularySize, o.BatchSize, o.UnrollSteps, o.NegativeSamples,
            run.WindowsPerEpoch, run.TokensPerWindow, o.Epochs, first + 1, run.TotalWindows, run.Seed));
        context.Out.Flush();
        TrainingRunResult result;
        using (var progress = new ProgressBar(context.Error, context.Progress(args), "train", run.TotalWindows - first, "windows", "tokens"))
        {
            try
            {
                result = run.Run(new TrainingDisplay(context, progress), context.Cancellation);
            }
            catch (OperationCanceledException)
            {
                progress.Dispose();
                throw new CliException(string.Format(c, "interrupted at window {0}; checkpoint saved in {1} (continue with --resume {1})", run.Window, output), 130);
            }
            catch (TrainingDivergedException e)
            {
                throw CliException.DataError(e.Message);
            }
            progress.Finish();
        }
        double seconds = clock.Elapsed.TotalSeconds;
        string summary = string.Format(c, "trained {0} windows ({1} tokens per direction) in {2:F1} s ({3:F1} s of training steps, {4:F0} tokens/s); final train perplexity {5:F2} (sampled softmax)",
            result.Windows, result.Tokens, seconds, result.StepTime.TotalSeconds, result.Tokens / Math.Max(result.StepTime.TotalSeconds, 1e-9), Math.Exp(result.FinalTrainLoss));
        if (result.Validation is { } final) summary += ", valid perplexity " + Format(final);
        context.Out.WriteLine(summary + "; model in " + output);
        context.Summary = new RunSummary(string.Format(c, "{0} windows, {1} tokens per direction", result.Windows, result.Tokens), output, result.Tokens, "tokens");
        return 0;
    }

    /// <summary>Perplexities as the train command prints them: average (forward, backward).</summary>
    internal static string Format(Perplexities p) =>
        string.Format(CultureInfo.InvariantCulture, "{0:F2} (forward {1:F2}, backward {2:F2})", p.Average, p.Forward, p.Backward);

    /// <summary>Shows the run's reports: the progress bar after each window, a line after each checkpoint.</summary>
    private sealed class TrainingDisplay(CommandContext context, ProgressBar progress) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            var c = CultureInfo.InvariantCulture;
            if (value.Checkpoint is not { } saved)
            {
                progress.Detail = string.Format(c, "epoch {0}, loss {1:F3}, perplexity {2:F1}", value.EpochNumber, value.SmoothedLoss, Math.Exp(value.SmoothedLoss));
                progress.Update(value.WindowsThisRun, value.TokensThisRun);
                return;
            }
            string line = string.Format(c, "window {0}/{1} (epoch {2:F2}): train perplexity {3:F2} (sampled softmax, forward {4:F2}, backward {5:F2}, {6} windows)",
                value.Window, value.TotalWindows, value.Epochs, Math.Exp(saved.Loss), Math.Exp(saved.ForwardLoss), Math.Exp(saved.BackwardLoss), saved.Windows);
            if (saved.Validation is { } v) line += ", valid perplexity " + Format(v);
            progress.Dispose(); // a terminal bar is erased and redrawn after the line
            context.Out.WriteLine(line + "; saved " + saved.Directory);
            context.Out.Flush();
        }
    }

    /// <summary>The files a --train/--valid pattern names now (none when it matches nothing: the run reports that).</summary>
    private static IEnumerable<string> ExistingFiles(string pattern)
    {
        if (!FileGlob.HasWildcards(pattern)) return [pattern];
        try
        {
            return FileGlob.Expand(pattern);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return [];
        }
    }
}
