using System.CommandLine;
using System.CommandLine.Parsing;
using ElmoNative.Checkpoints;

namespace ElmoNative.Bench;

/// <summary>
/// The subcommands' options for System.CommandLine: those several subcommands share (<c>--preset</c>, <c>--input</c>,
/// <c>--sentences</c>, <c>--threads</c>, <c>--cache-size</c>, <c>--batch-tokens</c>, <c>--batch-rows</c>), made here once so
/// that they have the same names, defaults and help everywhere, and built of the checked kinds of value in CommandLineOptions. A
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
    public static Option<int> Sentences() => CommandLineOptions.Int("--sentences", 2000, 1, "the first N lines of the input are used");

    /// <summary><c>--threads N</c>: most threads per kernel call (default: the logical cores).</summary>
    public static Option<int> Threads() =>
        CommandLineOptions.Int("--threads", Environment.ProcessorCount, 1, "most threads per kernel call (by default all the logical cores)");

    /// <summary><c>--cache-size N</c>: the token cache's capacity (default: the model's).</summary>
    public static Option<int?> CacheSize() =>
        CommandLineOptions.OptionalInt("--cache-size", 0, "tokens kept in the token cache (default: the model's own capacity; 0 turns it off)");

    /// <summary><c>--batch-tokens T</c>: EmbeddingFileOptions.BatchTokens (default: sized by the model's width).</summary>
    public static Option<int?> BatchTokens() => CommandLineOptions.OptionalInt("--batch-tokens", 1,
        "padded tokens of an internal batch of a regrouping window (EmbeddingFileOptions.BatchTokens; default: sized by the model's width)", "T");

    /// <summary><c>--batch-rows R</c>: EmbeddingFileOptions.BatchRows (default: sized by the model's cell width).</summary>
    public static Option<int?> BatchRows() => CommandLineOptions.OptionalInt("--batch-rows", 1,
        "most sentences of an internal batch (EmbeddingFileOptions.BatchRows; default: sized by the model's cell width)", "R");

    /// <summary>The preset's name as the options spell it (<c>small</c>).</summary>
    public static string Name(ModelPreset preset) => preset.ToString().ToLowerInvariant();

    /// <summary>A preset's name, or an error on <paramref name="result"/>.</summary>
    public static ModelPreset ParsePreset(ArgumentResult result, string text, string where = "")
    {
        if (RandomCheckpoint.TryParsePreset(text, out var preset)) return preset;
        result.AddError($"unknown preset {text}{where}");
        return default;
    }
}
