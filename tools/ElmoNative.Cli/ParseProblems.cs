using System.CommandLine;
using System.CommandLine.Parsing;

namespace ElmoNative.Cli;

/// <summary>
/// Turns what System.CommandLine found wrong with a command line into the project's one-line usage error (its own
/// errors are several lines). Also catches what it accepts but the project's contract refuses: an option whose value
/// is missing and would be taken from the next option (<c>--output --layers top</c>), an unknown option taken as a
/// value of a many-valued option or of a positional argument, and a one-valued option given twice.
/// </summary>
internal static class ParseProblems
{
    /// <summary>The problem with <paramref name="result"/> as one line (without <c>elmo: </c>), or null when there is none.</summary>
    public static string? Describe(ParseResult result, IReadOnlyCollection<string> commandNames)
    {
        var commandResult = result.CommandResult;
        if (commandResult.Command is not ElmoCommand and not HelpCommand)
        {
            // At the root: no command, or an unknown one.
            string? first = FirstUnmatched(result);
            if (first is null)
                return result.Errors.Count == 0 ? null : result.Tokens.Count == 0 ? "no command given (try 'elmo --help')" : OneLine(result.Errors[0].Message);
            if (first.StartsWith('-')) return $"unknown option '{first}' before the command (try 'elmo --help')";
            return UnknownCommand(first, commandNames);
        }
        string name = commandResult.Command is ElmoCommand elmo ? elmo.FullName : commandResult.Command.Name;
        string? problem = CommandProblem(result, commandResult);
        return problem is null ? null : $"{name}: {problem} (see 'elmo {name} --help')";
    }

    /// <summary>The message of an unknown command name.</summary>
    public static string UnknownCommand(string name, IReadOnlyCollection<string> commandNames) =>
        $"unknown command '{name}' (commands: {string.Join(", ", commandNames)}; try 'elmo --help')";

    private static string? CommandProblem(ParseResult result, CommandResult command)
    {
        if (command.Command is ElmoCommand group && group.Commands.Any())
        {
            // A command made of subcommands (elmo models list|download|path) given without a known one.
            string names = string.Join(", ", group.Commands.Select(c => c.Name));
            string? first = FirstUnmatched(result);
            if (first is null || first.StartsWith('-')) return $"missing subcommand ({names})";
            return $"unknown subcommand '{first}' ({names})";
        }
        foreach (var child in command.Children)
        {
            if (child is OptionResult option && !option.Implicit)
            {
                string given = option.IdentifierToken?.Value ?? option.Option.Name;
                bool many = option.Option.Arity.MaximumNumberOfValues > 1;
                bool takesValue = option.Option.Arity.MaximumNumberOfValues > 0;
                if (!many && takesValue && option.IdentifierTokenCount > 1) return $"option '{option.Option.Name}' given twice";
                if (takesValue && (option.Tokens.Count == 0 || LooksLikeOption(option.Tokens[0].Value))) return $"option '{given}' needs a value";
                if (option.Tokens.Any(t => t.Value.Length == 0)) return $"option '{given}' needs a value";
                if (option.Tokens.FirstOrDefault(t => LooksLikeOption(t.Value)) is { } unknown) return $"unknown option '{unknown.Value}'";
            }
            else if (child is ArgumentResult argument && argument.Tokens.FirstOrDefault(t => t.Value.Length > 1 && t.Value.StartsWith('-')) is { } stray)
            {
                return $"unknown option '{stray.Value}'";
            }
        }
        if (FirstUnmatched(result) is { } unmatched)
            return unmatched.Length > 1 && unmatched.StartsWith('-') ? $"unknown option '{unmatched}'" : $"unexpected argument '{unmatched}'";
        return result.Errors.Count > 0 ? OneLine(result.Errors[0].Message) : null;
    }

    /// <summary>A value that is rather an option: <c>--</c> and a name (<c>-</c> alone is a value: stdin).</summary>
    private static bool LooksLikeOption(string value) => value.Length > 2 && value.StartsWith("--", StringComparison.Ordinal);

    private static string OneLine(string message) =>
        string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));

    private static string? FirstUnmatched(ParseResult result) => result.UnmatchedTokens.Count > 0 ? result.UnmatchedTokens[0] : null;
}
