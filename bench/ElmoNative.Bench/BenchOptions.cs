using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using ElmoNative.Checkpoints;

namespace ElmoNative.Bench;

/// <summary>
/// The subcommands' options for System.CommandLine: those several subcommands share (<c>--preset</c>, <c>--input</c>,
/// <c>--sentences</c>, <c>--threads</c>, <c>--cache-size</c>, <c>--batch-tokens</c>, <c>--batch-rows</c>), made here once so
/// that they have the same names, defaults and help everywhere, and the checked kinds of value the others are made of. A
/// value that does not parse or is out of range is a parse error: one line on stderr, exit code 2 (<see cref="Program"/>).
/// </summary>
internal static class BenchOptions
{
    /// <summary>The presets' names, as the options take them.</summary>
    public const string PresetNames = "small|medium|original";

    /// <summary><c>--preset small|medium|original</c>: the random checkpoint (seed 1) measured.</summary>
    public static Option<ModelPreset> Preset(ModelPreset fallback) => new("--preset")
    {
        HelpName = PresetNames,
        Description = "the model: a random checkpoint (seed 1) of this size, written once under $TMPDIR/elmonative-bench",
        DefaultValueFactory = _ => fallback,
        CustomParser = r => ParsePreset(r, r.Tokens[0].Value),
    };

    /// <summary>The positional <c>PRESET</c> of the report's child processes.</summary>
    public static Argument<ModelPreset> PresetArgument() => new("PRESET")
    {
        HelpName = "PRESET",
        Description = PresetNames,
        CustomParser = r => ParsePreset(r, r.Tokens[0].Value),
    };

    /// <summary><c>--input FILE</c>: the text, one sentence per line, tokens separated by spaces (default: data/brown/brown.txt).</summary>
    public static Option<string> Input() => new("--input")
    {
        HelpName = "FILE",
        Description = "the text: one sentence per line, tokens separated by spaces (tools/fetch-brown.sh writes the default)",
        DefaultValueFactory = _ => EndToEnd.DefaultInput,
    };

    /// <summary><c>--sentences N</c>: the first N lines of the input (default 2000).</summary>
    public static Option<int> Sentences() => Int("--sentences", 2000, 1, "the first N lines of the input are used");

    /// <summary><c>--threads N</c>: most threads per kernel call (default: the logical cores).</summary>
    public static Option<int> Threads() =>
        Int("--threads", Environment.ProcessorCount, 1, "most threads per kernel call (by default all the logical cores)");

    /// <summary><c>--cache-size N</c>: the token cache's capacity (default: the model's).</summary>
    public static Option<int?> CacheSize() =>
        OptionalInt("--cache-size", 0, "tokens kept in the token cache (default: the model's own capacity; 0 turns it off)");

    /// <summary><c>--batch-tokens T</c>: EmbeddingFileOptions.BatchTokens (default: sized by the model's width).</summary>
    public static Option<int?> BatchTokens() => OptionalInt("--batch-tokens", 1,
        "padded tokens of an internal batch of a regrouping window (EmbeddingFileOptions.BatchTokens; default: sized by the model's width)", "T");

    /// <summary><c>--batch-rows R</c>: EmbeddingFileOptions.BatchRows (default: sized by the model's cell width).</summary>
    public static Option<int?> BatchRows() => OptionalInt("--batch-rows", 1,
        "most sentences of an internal batch (EmbeddingFileOptions.BatchRows; default: sized by the model's cell width)", "R");

    /// <summary>An integer option of at least <paramref name="min"/>, <paramref name="fallback"/> when absent.</summary>
    public static Option<int> Int(string name, int fallback, int min, string description, string valueName = "N") => new(name)
    {
        HelpName = valueName,
        Description = description,
        DefaultValueFactory = _ => fallback,
        CustomParser = r => ParseInt(r, r.Tokens[0].Value, name, min),
    };

    /// <summary>An integer option of at least <paramref name="min"/>, null when absent.</summary>
    public static Option<int?> OptionalInt(string name, int min, string description, string valueName = "N") => new(name)
    {
        HelpName = valueName,
        Description = description,
        CustomParser = r => ParseInt(r, r.Tokens[0].Value, name, min),
    };

    /// <summary>A number of seconds, at least 0, <paramref name="fallback"/> when absent.</summary>
    public static Option<double> Seconds(string name, double fallback, string description) => new(name)
    {
        HelpName = "S",
        Description = description,
        DefaultValueFactory = _ => fallback,
        CustomParser = r =>
        {
            string text = r.Tokens[0].Value;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) && v >= 0) return v;
            r.AddError($"{name} is a number of seconds (0 or more), not {text}");
            return 0;
        },
    };

    /// <summary>A switch (no value).</summary>
    public static Option<bool> Switch(string name, string description) =>
        new(name) { Description = description, Arity = ArgumentArity.Zero };

    /// <summary>An option taking a comma-separated list of positive integers (<c>32,64,100</c>), of <paramref name="count"/> of them if given.</summary>
    public static Option<int[]> IntList(string name, string valueName, string description, int? count = null) => new(name)
    {
        HelpName = valueName,
        Description = description,
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = r => ParseIntList(r, r.Tokens[0].Value, name, valueName, count),
    };

    /// <summary>The preset's name as the options spell it (<c>small</c>).</summary>
    public static string Name(ModelPreset preset) => preset.ToString().ToLowerInvariant();

    /// <summary>A preset's name, or an error on <paramref name="result"/>.</summary>
    public static ModelPreset ParsePreset(ArgumentResult result, string text, string where = "")
    {
        if (RandomCheckpoint.TryParsePreset(text, out var preset)) return preset;
        result.AddError($"unknown preset {text}{where}");
        return default;
    }

    /// <summary>An integer of at least <paramref name="min"/>, or an error on <paramref name="result"/>.</summary>
    public static int ParseInt(ArgumentResult result, string text, string name, int min)
    {
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value))
            result.AddError($"{name} must be an integer, not {text}");
        else if (value < min)
            result.AddError($"{name} must be at least {min}");
        return value;
    }

    /// <summary>A comma-separated list of positive integers (of <paramref name="count"/> of them if given), or an error on <paramref name="result"/>.</summary>
    public static int[] ParseIntList(ArgumentResult result, string text, string name, string valueName, int? count)
    {
        var parts = text.Split(',');
        bool ok = (count is null || parts.Length == count) && parts.All(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= 1);
        if (ok) return [.. parts.Select(p => int.Parse(p, CultureInfo.InvariantCulture))];
        string what = count is { } n ? $"{n} positive integers" : "positive integers";
        result.AddError($"{name} is {valueName} ({what} separated by commas), not {text}");
        return [];
    }
}
