using System.Globalization;

namespace ElmoNative.Cli;

/// <summary>
/// The options of one command, parsed by hand: <c>--flag value</c>, <c>--flag=value</c> and switches. Every problem is a
/// usage error: an unknown option, a value missing, an option given twice, a stray positional argument.
/// </summary>
internal sealed class Arguments
{
    private readonly string command;
    private readonly Dictionary<string, string> values = new(StringComparer.Ordinal);
    private readonly HashSet<string> switches = new(StringComparer.Ordinal);

    private Arguments(string command) => this.command = command;

    /// <summary>Whether <c>-h</c> or <c>--help</c> was given (the other arguments are then not checked).</summary>
    public bool Help { get; private set; }

    /// <summary>Parses <paramref name="args"/> against the options a command knows.</summary>
    public static Arguments Parse(string command, IReadOnlyList<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> switchOptions)
    {
        var result = new Arguments(command);
        if (args.Any(a => a is "-h" or "--help"))
        {
            result.Help = true;
            return result;
        }
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith('-') || arg == "-")
                throw result.Error($"unexpected argument '{arg}'");
            string name = arg;
            string? inline = null;
            int equals = arg.IndexOf('=');
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 2)
            {
                name = arg[..equals];
                inline = arg[(equals + 1)..];
            }
            if (valueOptions.Contains(name))
            {
                string value;
                if (inline is not null)
                {
                    value = inline;
                }
                else
                {
                    // A following option is not a value ("-" alone is: it means stdin).
                    if (i + 1 >= args.Count || (args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2))
                        throw result.Error($"option '{name}' needs a value");
                    value = args[++i];
                }
                if (value.Length == 0) throw result.Error($"option '{name}' needs a value");
                if (!result.values.TryAdd(name, value)) throw result.Error($"option '{name}' given twice");
            }
            else if (switchOptions.Contains(name))
            {
                if (inline is not null) throw result.Error($"option '{name}' takes no value");
                if (!result.switches.Add(name)) throw result.Error($"option '{name}' given twice");
            }
            else
            {
                throw result.Error($"unknown option '{name}'");
            }
        }
        return result;
    }

    /// <summary>The value of an option, or null when it was not given.</summary>
    public string? Value(string name) => values.GetValueOrDefault(name);

    /// <summary>The value of an option that must be given.</summary>
    public string Required(string name) => Value(name) ?? throw Error($"missing option '{name}'");

    /// <summary>Whether a switch was given.</summary>
    public bool Has(string name) => switches.Contains(name);

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
    public CliException Error(string message) => CliException.UsageError($"{command}: {message} (see 'elmo {command} --help')");
}
