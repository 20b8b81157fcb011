using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ElmoNative.Cli;

/// <summary>
/// The options of one command as System.CommandLine parsed them, read by name (<c>--batch-size</c>), with the checks
/// of the project's error contract: a bad value is a usage error naming the option and the value.
/// </summary>
internal sealed class OptionValues(string command, ParseResult result)
{
    /// <summary>The command's name (<c>embed</c>, ...).</summary>
    public string Command { get; } = command;

    /// <summary>The parse result behind the values.</summary>
    public ParseResult Result { get; } = result;

    /// <summary>The value of an option, or null when it was not given.</summary>
    public string? Value(string name) => Given(name) ? Result.GetValue<string>(name) : null;

    /// <summary>The value of an option that must be given.</summary>
    public string Required(string name) => Value(name) ?? throw Error($"missing option '{name}'");

    /// <summary>The values of a many-valued option (empty when it was not given).</summary>
    public IReadOnlyList<string> List(string name) => Given(name) ? Result.GetValue<string[]>(name) ?? [] : [];

    /// <summary>The value of a positional argument, or null when it was not given.</summary>
    public string? Argument(string name) =>
        Result.GetResult(name) is ArgumentResult { Tokens.Count: > 0 } argument ? argument.Tokens[0].Value : null;

    /// <summary>Whether a switch (or any option) was given.</summary>
    public bool Has(string name) => Given(name);

    /// <summary>A positive integer option, or <paramref name="fallback"/> when absent.</summary>
    public int PositiveInt(string name, int fallback) => OptionalPositiveInt(name) ?? fallback;

    /// <summary>A positive integer option, or null when absent.</summary>
    public int? OptionalPositiveInt(string name)
    {
        if (Value(name) is not { } text) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < 1)
            throw Error($"{name} must be a positive integer, not '{text}'");
        return v;
    }

    /// <summary>A non-negative integer option, or null when absent.</summary>
    public int? OptionalNonNegativeInt(string name)
    {
        if (Value(name) is not { } text) return null;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < 0)
            throw Error($"{name} must be a non-negative integer, not '{text}'");
        return v;
    }

    /// <summary>Any integer option, or <paramref name="fallback"/> when absent.</summary>
    public int Int(string name, int fallback)
    {
        if (Value(name) is not { } text) return fallback;
        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v))
            throw Error($"{name} must be an integer, not '{text}'");
        return v;
    }

    /// <summary>A usage error about this command.</summary>
    public CliException Error(string message) => CliException.UsageError($"{Command}: {message} (see 'elmo {Command} --help')");

    private bool Given(string name) => Result.GetResult(name) is OptionResult { Implicit: false };
}
