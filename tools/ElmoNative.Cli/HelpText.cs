using System.CommandLine;
using System.Text;

namespace ElmoNative.Cli;

/// <summary>
/// The text of <c>elmo COMMAND --help</c>: the command's usage lines and description, then its options generated from
/// the parser's own option list (names, aliases, value names, descriptions), so that help and parser cannot drift.
/// docs/cli.md holds every command's help verbatim (a test compares).
/// </summary>
internal static class HelpText
{
    /// <summary>Column where option descriptions start.</summary>
    public const int DescriptionColumn = 27;

    /// <summary>Widest line of the help.</summary>
    public const int Width = 118;

    /// <summary>The help of <paramref name="command"/>.</summary>
    public static string For(ElmoCommand command)
    {
        var text = new StringBuilder();
        for (int i = 0; i < command.Synopsis.Length; i++)
            text.Append(i == 0 ? "usage: " : "       ").AppendLine(command.Synopsis[i]);
        text.AppendLine();
        text.AppendLine(command.Details.TrimEnd());
        if (command.Commands.Any())
        {
            text.AppendLine();
            text.AppendLine("commands:");
            foreach (var sub in command.Commands) Row(text, sub.Name, sub.Description ?? "");
        }
        if (command.Arguments.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("arguments:");
            foreach (var argument in command.Arguments) Row(text, argument.Name, argument.Description ?? "");
        }
        foreach (var (title, options) in command.Sections)
        {
            text.AppendLine();
            text.Append(title).AppendLine(":");
            foreach (var option in options) Row(text, Label(option), option.Description ?? "");
            if (ReferenceEquals(options, command.Sections[^1].Options)) Row(text, "-h, --help", "this help");
        }
        if (command.Notes is not null)
        {
            text.AppendLine();
            text.AppendLine(command.Notes.TrimEnd());
        }
        return text.ToString().ReplaceLineEndings("\n");
    }

    /// <summary>
    /// docs/cli.md: <c>elmo --help</c> and every command's <c>--help</c>, verbatim (a test compares the file with this;
    /// <c>ELMONATIVE_UPDATE_DOCS=1</c> makes it rewrite the file).
    /// </summary>
    public static string Document()
    {
        var text = new StringBuilder();
        text.Append("""
            # The `elmo` command line

            Generated from the commands' own `--help` (tests/ElmoNative.Tests/CliDocsTests.cs checks that this file is
            current; `ELMONATIVE_UPDATE_DOCS=1 dotnet test tests/ElmoNative.Tests --filter CliDocs` rewrites it).

            """);
        text.Append("\n## elmo --help\n\n```\n").Append(CommandLine.Usage).Append("```\n");
        foreach (var command in AllCommands())
            text.Append("\n## elmo ").Append(command.FullName).Append(" --help\n\n```\n").Append(For(command)).Append("```\n");
        return text.ToString().ReplaceLineEndings("\n");
    }

    /// <summary>Every command, each followed by its subcommands.</summary>
    public static IEnumerable<ElmoCommand> AllCommands() => CommandLine.Commands.SelectMany(c => c.Commands.Prepend(c));

    /// <summary>The usage lines of every command, as README.md's CLI section shows them (a test compares).</summary>
    public static string Synopses() => string.Concat(CommandLine.Commands.SelectMany(c => c.Synopsis).Select(line => line + "\n"));

    /// <summary>How an option is named in the help: its names, then its value (<c>--input, --in FILE</c>).</summary>
    public static string Label(Option option)
    {
        string names = string.Join(", ", new[] { option.Name }.Concat(option.Aliases));
        return option.HelpName is { } value ? names + " " + value : names;
    }

    /// <summary>An option and its description, wrapped at <see cref="Width"/>; a long label puts the description below.</summary>
    private static void Row(StringBuilder text, string label, string description)
    {
        string first = "  " + label;
        var lines = Wrap(description, Width - DescriptionColumn);
        if (first.Length >= DescriptionColumn - 1)
        {
            text.AppendLine(first);
            first = "";
        }
        for (int i = 0; i < lines.Count; i++)
            text.Append((i == 0 ? first : "").PadRight(DescriptionColumn)).AppendLine(lines[i]);
        if (lines.Count == 0 && first.Length > 0) text.AppendLine(first);
    }

    /// <summary>Words of <paramref name="text"/> filled into lines of at most <paramref name="width"/> characters.</summary>
    private static List<string> Wrap(string text, int width)
    {
        var lines = new List<string>();
        var line = new StringBuilder();
        foreach (string word in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (line.Length > 0 && line.Length + 1 + word.Length > width)
            {
                lines.Add(line.ToString());
                line.Clear();
            }
            if (line.Length > 0) line.Append(' ');
            line.Append(word);
        }
        if (line.Length > 0) lines.Add(line.ToString());
        return lines;
    }
}
