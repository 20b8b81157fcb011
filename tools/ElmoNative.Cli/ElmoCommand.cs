using System.CommandLine;

namespace ElmoNative.Cli;

/// <summary>
/// One <c>elmo</c> command as System.CommandLine sees it (its options and arguments), plus what its help shows around
/// the generated option list (<see cref="HelpText"/>): the usage lines, a description and closing notes.
/// </summary>
internal sealed class ElmoCommand : Command
{
    /// <summary>A command named <paramref name="name"/> (a one-line summary for <c>elmo --help</c>).</summary>
    public ElmoCommand(string name, string summary, Func<CommandContext, OptionValues, int> run) : base(name, summary)
    {
        Run = run;
    }

    /// <summary>What the command does with its parsed options.</summary>
    public Func<CommandContext, OptionValues, int> Run { get; }

    /// <summary>The command as typed after <c>elmo</c>: its name, after its parent's for a subcommand (<c>models list</c>).</summary>
    public string FullName => Parents.OfType<ElmoCommand>().FirstOrDefault() is { } parent ? parent.FullName + " " + Name : Name;

    /// <summary>The subcommands, in help order (<c>elmo models list</c>, ...); empty for most commands.</summary>
    public IEnumerable<ElmoCommand> Commands => Subcommands.OfType<ElmoCommand>();

    /// <summary>The usage lines, without <c>usage: </c> (the first names the command; continuation lines start with a space).</summary>
    public required string[] Synopsis { get; init; }

    /// <summary>Paragraphs shown after the usage lines.</summary>
    public required string Details { get; init; }

    /// <summary>Paragraphs shown after the options, or null.</summary>
    public string? Notes { get; init; }

    /// <summary>Titled groups of options, in help order (every option of the command is in one).</summary>
    public List<(string Title, List<Option> Options)> Sections { get; } = [];

    /// <summary>Adds an option taking one value (<c>--name VALUE</c> or <c>--name=VALUE</c>) to the current section.</summary>
    public Option<string> Value(string name, string valueName, string description, params string[] aliases) =>
        AddToSection(new Option<string>(name, aliases) { HelpName = valueName, Description = description });

    /// <summary>Adds an option taking one or more values (<c>--name a b 'glob'</c>; repeatable).</summary>
    public Option<string[]> List(string name, string valueName, string description) =>
        AddToSection(new Option<string[]>(name)
        {
            HelpName = valueName,
            Description = description,
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = true,
        });

    /// <summary>Adds a switch (no value).</summary>
    public Option<bool> Switch(string name, string description, params string[] aliases) =>
        AddToSection(new Option<bool>(name, aliases) { Description = description, Arity = ArgumentArity.Zero });

    /// <summary>Starts a new titled group of options in the help.</summary>
    public void Section(string title) => Sections.Add((title, []));

    private T AddToSection<T>(T option)
        where T : Option
    {
        if (Sections.Count == 0) Section("options");
        Sections[^1].Options.Add(option);
        Add(option);
        return option;
    }
}
