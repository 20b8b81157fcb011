namespace ElmoNative.Cli;

/// <summary>
/// An option that takes one or more values (<c>--input a.txt b.txt 'dir/*.txt'</c>, as a shell expands a glob): the values
/// run until the next argument that starts with <c>--</c>. The option may also be repeated.
/// </summary>
internal static class MultiValueOption
{
    /// <summary>Removes every <paramref name="name"/> and its values from <paramref name="args"/>; returns the values in order.</summary>
    public static List<string> Extract(string command, string name, IReadOnlyList<string> args, out List<string> rest)
    {
        var values = new List<string>();
        rest = [];
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (arg.StartsWith(name + "=", StringComparison.Ordinal))
            {
                string value = arg[(name.Length + 1)..];
                if (value.Length == 0) throw Error(command, $"option '{name}' needs a value");
                values.Add(value);
                continue;
            }
            if (arg != name)
            {
                rest.Add(arg);
                continue;
            }
            int before = values.Count;
            while (i + 1 < args.Count && !(args[i + 1].StartsWith("--", StringComparison.Ordinal) && args[i + 1].Length > 2) && args[i + 1] is not "-h")
            {
                if (args[i + 1].Length == 0) throw Error(command, $"option '{name}' needs a value");
                values.Add(args[++i]);
            }
            if (values.Count == before) throw Error(command, $"option '{name}' needs a value");
        }
        return values;
    }

    private static CliException Error(string command, string message) =>
        CliException.UsageError($"{command}: {message} (see 'elmo {command} --help')");
}
