using System.Globalization;
using System.Text.Json.Nodes;
using ElmoNative.Training.Tagging;

namespace ElmoNative.Cli;

/// <summary>
/// <c>elmo tagger train|eval|baseline</c>: a part-of-speech tagger on ELMo features (a softmax, optionally after one
/// hidden layer, on a learned scalar mix of the layers), trained and scored on <c>word/TAG</c> text (docs/tagger.md).
/// </summary>
internal static class TaggerCommand
{
    private const string TagsetHelp = "brown (232 base tags: -TL/-HL/-NC removed; default), universal (the 12 tags of Petrov et al. 2012, via en-brown.map) or as-written (the tags as in the file)";
    private const string TaggedNote = """
        Tagged text is UTF-8, one sentence per line, tokens separated by whitespace, each token word/TAG (the tag follows
        the last '/'); tools/fetch-brown.sh writes the Brown corpus this way (data/brown/train.tagged.txt, valid, test: the
        split of the shipped model). A token without a tag or a tag the tag set does not know stops the command with the
        file and line. docs/tagger.md has the model, the file format and the Brown accuracies.
        """;

    /// <summary>The command and its subcommands.</summary>
    public static ElmoCommand Create()
    {
        var tagger = new ElmoCommand("tagger", "train and score part-of-speech taggers on ELMo features", RunGroup)
        {
            Synopsis =
            [
                "elmo tagger train --train FILE --valid FILE --output TAGGER [--model DIR|NAME] [--tagset brown|universal|as-written]",
                "                  [--mix learned|top|layer0] [--hidden N] [--epochs N] [--learning-rate R] [--batch-sentences N]",
                "                  [--seed N] [--threads N] [--force]",
                "elmo tagger eval --tagger TAGGER --input FILE [--model DIR|NAME] [--compare TAGGER2 [--compare-model DIR|NAME]]",
                "elmo tagger baseline --train FILE --input FILE [--tagset brown|universal|as-written]",
            ],
            Details = """
                A tagger is a token classifier on the ELMo vectors of a model: a learned scalar mix of the model's layers
                (gamma times softmax-normalized weights, Peters et al. 2018 eq. 1), or one fixed layer, then a softmax
                layer, optionally after one hidden ReLU layer. 'elmo tag' tags plain text with it.
                """,
            Notes = TaggedNote,
        };
        tagger.Add(CreateTrain());
        tagger.Add(CreateEval());
        tagger.Add(CreateBaseline());
        return tagger;
    }

    private static ElmoCommand CreateTrain()
    {
        var command = new ElmoCommand("train", "train a tagger on tagged text", RunTrain)
        {
            Synopsis =
            [
                "elmo tagger train --train FILE --valid FILE --output TAGGER [--model DIR|NAME] [--tagset brown|universal|as-written]",
                "                  [--mix learned|top|layer0] [--hidden N] [--epochs N] [--learning-rate R] [--batch-sentences N]",
                "                  [--seed N] [--threads N] [--force]",
            ],
            Details = """
                Embeds every sentence of the training and validation files once (stateless: a sentence's vectors depend only
                on the sentence), keeps the vectors in memory as float32 for all the epochs (the layers the mix uses: 3 x 256
                floats per token with the default model, 2.4 GB for the 800 k Brown training tokens), then trains the mix and
                the classifier together with Adagrad. After each epoch it prints the training loss and the validation
                accuracy; the epoch best on validation is written to TAGGER (a small JSON file holding the tag set, the
                weights and the SHA-256 of the ELMo weights it was trained on).
                """,
            Notes = TaggedNote,
        };
        ModelSource.AddOptions(command);
        command.Value("--train", "FILE", "tagged training text (word/TAG tokens)");
        command.Value("--valid", "FILE", "tagged validation text: picks the best epoch");
        command.Value("--output", "TAGGER", "tagger file to write (a temporary file renamed at the end)");
        command.Value("--tagset", "NAME", TagsetHelp);
        command.Value("--mix", "MODE", "learned (default: a scalar mix of all layers, trained), top (the top layer alone) or layer0 (the context-independent layer alone)");
        command.Value("--hidden", "N", "units of a hidden ReLU layer before the softmax (default 0: none)");
        command.Value("--epochs", "N", "passes over the training text (default 5)");
        command.Value("--learning-rate", "R", "Adagrad learning rate (default 0.1)");
        command.Value("--batch-sentences", "N", "sentences per update (default 32)");
        command.Value("--seed", "N", "seed of the initial weights and the sentence order (default 1)");
        CommonOptions.Threads(command);
        CommonOptions.AddForce(command, "TAGGER");
        CommonOptions.Progress(command);
        CommonOptions.AddQuiet(command);
        return command;
    }

    private static ElmoCommand CreateEval()
    {
        var command = new ElmoCommand("eval", "accuracy of a tagger on tagged text, and McNemar's test against another", RunEval)
        {
            Synopsis = ["elmo tagger eval --tagger TAGGER --input FILE [--model DIR|NAME] [--compare TAGGER2 [--compare-model DIR|NAME]]"],
            Details = """
                Tags the words of FILE and prints the fraction of tokens whose tag is right. With --compare, the second tagger
                tags the same tokens and McNemar's exact test (two-sided, on the tokens only one of the two gets right) says
                whether their accuracies differ: b = right only by TAGGER, c = right only by TAGGER2, p-value. The ELMo model
                must be the one each tagger was trained on (its weights' SHA-256 is checked).
                """,
            Notes = TaggedNote,
        };
        ModelSource.AddOptions(command);
        command.Value("--tagger", "TAGGER", "a tagger file written by 'elmo tagger train'");
        command.Value("--input", "FILE", "tagged text to score (word/TAG tokens)");
        command.Value("--compare", "TAGGER2", "a second tagger to score on the same tokens, with McNemar's test");
        command.Value("--compare-model", "DIR|NAME", "the ELMo model of TAGGER2 (default: the model of TAGGER)");
        CommonOptions.Threads(command);
        CommonOptions.Progress(command);
        CommonOptions.AddQuiet(command);
        return command;
    }

    private static ElmoCommand CreateBaseline()
    {
        var command = new ElmoCommand("baseline", "accuracy of the most-frequent-tag baseline", RunBaseline)
        {
            Synopsis = ["elmo tagger baseline --train FILE --input FILE [--tagset brown|universal|as-written]"],
            Details = """
                Tags each word of FILE with the tag it has most often in the training text (the tag overall most frequent for
                words never seen there) and prints the accuracy: the floor any tagger should beat. No ELMo model is used.
                """,
            Notes = TaggedNote,
        };
        command.Value("--train", "FILE", "tagged training text");
        command.Value("--input", "FILE", "tagged text to score");
        command.Value("--tagset", "NAME", TagsetHelp);
        CommonOptions.AddQuiet(command);
        return command;
    }

    /// <summary><c>elmo tagger</c> alone.</summary>
    private static int RunGroup(CommandContext context, OptionValues args) =>
        throw args.Error("missing subcommand: train, eval or baseline");

    private static int RunTrain(CommandContext context, OptionValues args)
    {
        string trainPath = args.Required("--train"), validPath = args.Required("--valid"), output = args.Required("--output");
        var scheme = Scheme(args);
        var mix = LayerMixMode.Learned;
        if (args.Value("--mix") is { } mixName && !PosTagger.TryParseMix(mixName, out mix))
            throw args.Error($"--mix must be learned, top or layer0, not '{mixName}'");
        var options = new TaggerTrainingOptions
        {
            Scheme = scheme,
            Mix = mix,
            Hidden = args.OptionalNonNegativeInt("--hidden") ?? 0,
            Epochs = args.PositiveInt("--epochs", 5),
            BatchSentences = args.PositiveInt("--batch-sentences", 32),
            LearningRate = LearningRate(args),
            Seed = args.Int("--seed", 1),
        };
        if (output == OutputPath.StandardOutput) throw args.Error("--output names a tagger file, not '-'");
        var source = ModelSource.Resolve(context, args);
        OutputPath.Check(output, args.Has(CommonOptions.Force), [trainPath, validPath, .. source.Files]);
        using var threads = CommandContext.Threads(args);

        var train = TaggedText.Read(trainPath, scheme);
        var valid = TaggedText.Read(validPath, scheme);
        if (train.Count == 0) throw CliException.DataError($"{trainPath}: no tagged sentences");
        if (valid.Count == 0) throw CliException.DataError($"{validPath}: no tagged sentences");
        var tags = TaggerTrainer.TagSetFor(scheme, train);
        var trainLabels = TaggerTrainer.Labels(train, tags, trainPath);
        var validLabels = TaggerTrainer.Labels(valid, tags, validPath);

        using var model = source.LoadModel(args.OptionalPositiveInt("--threads"));
        var reference = TaggerModelReference.Of(args.Value("--model") ?? Path.GetDirectoryName(Path.GetFullPath(source.WeightsPath)) ?? source.WeightsPath,
            source.WeightsPath, model.LayerCount, model.Dim);
        var mode = context.Progress(args);
        var trainFeatures = Embed(context, mode, model, train.Select(s => (IReadOnlyList<string>)s.Words).ToArray(), mix, "embed train");
        var validFeatures = Embed(context, mode, model, valid.Select(s => (IReadOnlyList<string>)s.Words).ToArray(), mix, "embed valid");

        var c = CultureInfo.InvariantCulture;
        PosTagger tagger;
        using (var bar = new ProgressBar(context.Error, mode, "train", (long)options.Epochs * train.Count, "sentences"))
        {
            var report = new TrainingToBar(bar, context.Out);
            tagger = TaggerTrainer.Train(reference, tags, trainFeatures, trainLabels, validFeatures, validLabels, options, report, context.Cancellation);
            bar.Finish();
            var s = tagger.Network.MixWeights();
            context.Out.WriteLine(string.Format(c, "best epoch {0}: valid accuracy {1:F4}; mix weights [{2}], gamma {3:F4}", report.BestEpoch, report.BestAccuracy,
                string.Join(", ", s.Select(v => v.ToString("F4", c))), tagger.Network.Gamma));
            var training = new JsonObject
            {
                ["train"] = trainPath,
                ["valid"] = validPath,
                ["train_tokens"] = trainFeatures.Tokens,
                ["epochs"] = options.Epochs,
                ["best_epoch"] = report.BestEpoch,
                ["valid_accuracy"] = report.BestAccuracy,
                ["learning_rate"] = options.LearningRate,
                ["batch_sentences"] = options.BatchSentences,
                ["seed"] = options.Seed,
            };
            tagger.Save(output, training);
            context.Summary = new RunSummary(string.Format(c, "{0} sentences, {1} tokens, {2} epochs, valid accuracy {3:F4}", train.Count, trainFeatures.Tokens, options.Epochs, report.BestAccuracy),
                output, (double)trainFeatures.Tokens * options.Epochs, "tokens");
        }
        return 0;
    }

    private static int RunEval(CommandContext context, OptionValues args)
    {
        string taggerPath = args.Required("--tagger"), inputPath = args.Required("--input");
        string? comparePath = args.Value("--compare");
        if (comparePath is null && args.Value("--compare-model") is not null) throw args.Error("--compare-model needs --compare");
        var tagger = PosTagger.Load(taggerPath);
        var second = comparePath is null ? null : PosTagger.Load(comparePath);
        using var threads = CommandContext.Threads(args);
        var mode = context.Progress(args);
        var source = ModelSource.Resolve(context, args);
        var c = CultureInfo.InvariantCulture;

        var (correct, sentences) = Score(context, mode, tagger, taggerPath, inputPath, source, args.Value("--model") ?? "the default model", args);
        double accuracy = correct.Count(x => x) / (double)Math.Max(correct.Length, 1);
        context.Out.WriteLine(string.Format(c, "accuracy: {0:F4} ({1} of {2} tokens, {3} sentences) {4}", accuracy, correct.Count(x => x), correct.Length, sentences, taggerPath));
        string counts = string.Format(c, "{0} tokens, accuracy {1:F4}", correct.Length, accuracy);
        if (second is not null && comparePath is not null)
        {
            var compareSource = source;
            string compareName = args.Value("--model") ?? "the default model";
            if (args.Value("--compare-model") is { } compareModel)
            {
                compareSource = ModelSource.ResolveNamed(context, args, compareModel);
                compareName = compareModel;
            }
            var (other, _) = Score(context, mode, second, comparePath, inputPath, compareSource, compareName, args);
            double otherAccuracy = other.Count(x => x) / (double)Math.Max(other.Length, 1);
            var (b, cc) = McNemar.Discordant(correct, other);
            string p = McNemar.Format(b, cc);
            context.Out.WriteLine(string.Format(c, "accuracy: {0:F4} ({1} of {2} tokens) {3}", otherAccuracy, other.Count(x => x), other.Length, comparePath));
            context.Out.WriteLine(string.Format(c, "mcnemar: b = {0} (right only by {1}), c = {2} (right only by {3}), chi2 = {4:F2}, exact two-sided {5}",
                b, taggerPath, cc, comparePath, McNemar.ChiSquare(b, cc), p));
            counts += string.Format(c, " vs {0:F4}, McNemar {1}", otherAccuracy, p);
        }
        context.Summary = new RunSummary(counts, null, correct.Length, "tokens");
        return 0;
    }

    private static int RunBaseline(CommandContext context, OptionValues args)
    {
        string trainPath = args.Required("--train"), inputPath = args.Required("--input");
        var scheme = Scheme(args);
        var train = TaggedText.Read(trainPath, scheme);
        if (train.Count == 0) throw CliException.DataError($"{trainPath}: no tagged sentences");
        var input = TaggedText.Read(inputPath, scheme);
        var tags = TaggerTrainer.TagSetFor(scheme, train);
        TaggerTrainer.Labels(input, tags, inputPath); // an unknown tag is an error here too
        var (accuracy, tokens) = MostFrequentTagBaseline.Train(train).Evaluate(input);
        var c = CultureInfo.InvariantCulture;
        context.Out.WriteLine(string.Format(c, "accuracy: {0:F4} ({1} tokens, most frequent tag per word of {2})", accuracy, tokens, trainPath));
        context.Summary = new RunSummary(string.Format(c, "{0} tokens, accuracy {1:F4}", tokens, accuracy));
        return 0;
    }

    /// <summary>Per-token correctness of <paramref name="tagger"/> on the tagged file, and its sentence count.</summary>
    private static (bool[] Correct, int Sentences) Score(CommandContext context, ProgressMode mode, PosTagger tagger, string taggerPath, string inputPath,
                                                         ModelSource source, string modelName, OptionValues args)
    {
        var input = TaggedText.Read(inputPath, tagger.Scheme);
        var labels = TaggerTrainer.Labels(input, tagger.Tags, inputPath);
        tagger.RequireModel(TaggerModelReference.Sha256(source.WeightsPath), modelName, taggerPath);
        using var model = source.LoadModel(args.OptionalPositiveInt("--threads"));
        var features = Embed(context, mode, model, input.Select(s => (IReadOnlyList<string>)s.Words).ToArray(), tagger.Mix, "embed");
        return (TaggerEvaluation.Correct(tagger.Predict(features), labels), input.Count);
    }

    /// <summary>Embeds sentences for a tagger, with a progress bar.</summary>
    internal static TokenFeatures Embed(CommandContext context, ProgressMode mode, ElmoModel model, IReadOnlyList<IReadOnlyList<string>> sentences, LayerMixMode mix, string label)
    {
        using var bar = new ProgressBar(context.Error, mode, label, sentences.Count, "sentences");
        var features = TokenFeatures.Compute(model, sentences, mix, progress: new CountToBar(bar), cancellation: context.Cancellation);
        bar.Finish();
        return features;
    }

    private static TagScheme Scheme(OptionValues args)
    {
        string name = args.Value("--tagset") ?? "brown";
        return TaggedText.TryParseScheme(name, out var scheme) ? scheme : throw args.Error($"--tagset must be brown, universal or as-written, not '{name}'");
    }

    private static float LearningRate(OptionValues args)
    {
        string? text = args.Value("--learning-rate");
        if (text is null) return 0.1f;
        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float r) && r > 0 && float.IsFinite(r)
            ? r : throw args.Error($"--learning-rate must be a positive number, not '{text}'");
    }

    /// <summary>Sentences done, to the progress bar.</summary>
    internal sealed class CountToBar(ProgressBar bar) : IProgress<long>
    {
        public void Report(long value) => bar.Update(value);
    }

    /// <summary>Training progress to the bar; one line on stdout per epoch.</summary>
    private sealed class TrainingToBar(ProgressBar bar, TextWriter output) : IProgress<TaggerTrainingProgress>
    {
        public int BestEpoch { get; private set; }

        public double BestAccuracy { get; private set; } = -1;

        public void Report(TaggerTrainingProgress value)
        {
            var c = CultureInfo.InvariantCulture;
            bar.Detail = string.Format(c, "epoch {0}, loss {1:F4}", value.Epoch, value.Loss);
            bar.Update(value.SentencesDone);
            if (value.ValidAccuracy is not { } accuracy) return;
            if (accuracy > BestAccuracy)
            {
                BestAccuracy = accuracy;
                BestEpoch = value.Epoch;
            }
            output.WriteLine(string.Format(c, "epoch {0}: train loss {1:F4}, valid accuracy {2:F4}", value.Epoch, value.Loss, accuracy));
            output.Flush();
        }
    }
}
