using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace ElmoNative.Bench;

/// <summary>
/// The checked kinds of option value the benchmark programs (ElmoNative.Bench and ElmoNative.ServeLoad, which both link
/// this file) build their System.CommandLine options from, and the one-line message of a failed parse. A value that does
/// not parse or is out of range is a parse error, which each program prints as one line on stderr with exit code 2.
/// </summary>
internal static class CommandLineOptions
{
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

    /// <summary>
    /// An option taking a comma-separated list of positive integers (<c>32,64,100</c>), of <paramref name="count"/> of them
    /// if given. Absent, it reads as an empty array (not null): the caller then takes its default.
    /// </summary>
    public static Option<int[]> IntList(string name, string valueName, string description, int? count = null) => new(name)
    {
        HelpName = valueName,
        Description = description,
        Arity = ArgumentArity.ExactlyOne,
        CustomParser = r => ParseIntList(r, r.Tokens[0].Value, name, valueName, count),
    };

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

    /// <summary>The first problem of a failed parse, on one line (an unknown option, or the first error's message).</summary>
    public static string Problem(ParseResult result)
    {
        if (result.UnmatchedTokens.Count > 0)
        {
            string token = result.UnmatchedTokens[0];
            return token.StartsWith('-') ? $"unknown option {token}" : $"unexpected argument {token}";
        }
        return string.Join(' ', result.Errors[0].Message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }
}
