using System.Globalization;
using System.Text;
using ElmoNative.Training.Data;
using ElmoNative.Training.Tagging;

namespace ElmoNative.Cli;

/// <summary><c>elmo tag</c>: tags plain text with a tagger of <c>elmo tagger train</c>, writing <c>word/TAG</c> lines.</summary>
internal static class TagCommand
{
    /// <summary>The command and its options.</summary>
    public static ElmoCommand Create()
    {
        var command = new ElmoCommand("tag", "tag plain text with a part-of-speech tagger (word/TAG out)", Run)
        {
            Synopsis = ["elmo tag --tagger TAGGER --input FILE|- --output FILE|- [--model DIR|NAME] [--threads N] [--force]"],
            Details = """
                Reads UTF-8 text, one sentence per line, tokens separated by whitespace, and writes the same lines with each
                token as word/TAG (blank lines stay blank). The ELMo model must be the one the tagger was trained on (its
                weights' SHA-256 is checked). The output is written to a temporary file and renamed at the end.
                """,
            Notes = "docs/tagger.md has the tagger, its file format and its accuracy on Brown.",
        };
        ModelSource.AddOptions(command);
        command.Value("--tagger", "TAGGER", "a tagger file written by 'elmo tagger train'");
        command.Value("--input", "FILE|-", "plain text to tag (- reads stdin)");
        command.Value("--output", "FILE|-", "where to write word/TAG lines (- writes stdout)");
        CommonOptions.Threads(command);
        CommonOptions.AddForce(command, "the output");
        CommonOptions.Progress(command);
        CommonOptions.AddQuiet(command);
        return command;
    }

    private static int Run(CommandContext context, OptionValues args)
    {
        string taggerPath = args.Required("--tagger"), inputPath = args.Required("--input"), output = args.Required("--output");
        var tagger = PosTagger.Load(taggerPath);
        var source = ModelSource.Resolve(context, args);
        OutputPath.Check(output, args.Has(CommonOptions.Force), [inputPath, taggerPath, .. source.Files]);
        tagger.RequireModel(TaggerModelReference.Sha256(source.WeightsPath), args.Value("--model") ?? "the default model", taggerPath);
        using var threads = CommandContext.Threads(args);

        var lines = new List<string[]>();
        using (var reader = TextInput.Open(inputPath, context.In, "input file").ReadLines())
            while (reader.TryRead(out string? line)) lines.Add(Tokenizer.Split(line));
        var sentences = lines.Where(l => l.Length > 0).Select(l => (IReadOnlyList<string>)l).ToArray();

        using var model = source.LoadModel(args.OptionalPositiveInt("--threads"));
        var features = TaggerCommand.Embed(context, context.Progress(args), model, sentences, tagger.Mix, "tag");
        var predicted = tagger.Predict(features);

        long tokens = 0;
        OutputPath.Write(context, output, temp =>
        {
            using var writer = new StreamWriter(temp, false, new UTF8Encoding(false));
            int next = 0;
            foreach (var line in lines)
            {
                if (line.Length > 0)
                {
                    var tags = predicted[next++];
                    for (int i = 0; i < line.Length; i++)
                    {
                        if (i > 0) writer.Write(' ');
                        writer.Write(line[i]);
                        writer.Write('/');
                        writer.Write(tagger.Tags.Tags[tags[i]]);
                    }
                    tokens += line.Length;
                }
                writer.Write('\n');
            }
        });
        context.Summary = new RunSummary(string.Create(CultureInfo.InvariantCulture, $"{sentences.Length} sentences, {tokens} tokens"), output, tokens, "tokens");
        return 0;
    }
}
