namespace ElmoNative.Cli;

/// <summary>Entry point of the <c>elmo</c> command.</summary>
public static class Program
{
    public static int Main(string[] args) => CommandLine.Run(args, Console.In, Console.Out, Console.Error);
}
