namespace ElmoNative.Cli;

/// <summary>Parses the command line and dispatches to a command.</summary>
public static class CommandLine
{
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        stderr.WriteLine("elmo: no command given (try --help)");
        return 2;
    }
}
