using System.CommandLine;
using System.CommandLine.Help;
using BenchmarkDotNet.Running;

namespace ElmoNative.Bench;

/// <summary>
/// `dotnet bench/ElmoNative.Bench/bin/Release/net10.0/ElmoNative.Bench.dll SUBCOMMAND [options]` (or `dotnet run -c Release
/// --project bench/ElmoNative.Bench -- SUBCOMMAND [options]`): `e2e` runs the end-to-end measurement, `train-speed`
/// measures training throughput, `gemm` a quick best-of-N SGEMM probe against OpenBLAS, `lstm-probe` the GEMMs of LSTM
/// steps with weights streaming from memory, `encoder-probe` the token encoder on the distinct tokens of real text,
/// `stream-memory` the memory of `elmo embed` over a long input, `report [--output FILE]` the per-preset summary of
/// bench/results/ (each preset in a child process, `report-preset`); see bench/README.md. Their options are parsed by
/// System.CommandLine (<see cref="BenchOptions"/>): `--help` lists the subcommands, `SUBCOMMAND --help` describes one's
/// options, and a bad option or value is one line on stderr and exit code 2. Any other first argument, or none, goes to
/// BenchmarkDotNet as it is (e.g. `--filter '*Sgemm*'`).
/// </summary>
public static class Program
{
    private static readonly string[] HelpNames = ["--help", "-h", "-?"];

    public static int Main(string[] args)
    {
        var root = CreateRoot();
        if (args.Length > 0 && (HelpNames.Contains(args[0]) || root.Subcommands.Any(c => c.Name == args[0]))) return Run(root, args);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static RootCommand CreateRoot()
    {
        var root = new RootCommand(
            "ElmoNative's benchmarks (bench/README.md). The subcommands below are long single runs, not BenchmarkDotNet "
            + "benchmarks; 'SUBCOMMAND --help' describes a subcommand's options. Any other first argument goes to "
            + "BenchmarkDotNet's BenchmarkSwitcher as it is, e.g. --filter '*Sgemm*' --job short (its own options: "
            + "--filter '*' --help; no argument at all: its interactive list of benchmarks).")
        {
            EndToEnd.Command(),
            TrainSpeed.Command(),
            Report.Command(),
            Report.PresetCommand(),
            Report.LoadCommand(),
            Kernels.GemmProbe.Command(),
            Kernels.LstmStepProbe.Command(),
            EncoderProbe.Command(),
            StreamMemory.Command(),
        };
        // A first argument --version is BenchmarkDotNet's, as every argument that names no subcommand.
        root.Options.Remove(root.Options.OfType<VersionOption>().Single());
        // The help is wrapped at 120 columns when it does not go to a terminal (at the terminal's width when it does).
        if (Console.IsOutputRedirected) ((HelpAction)root.Options.OfType<HelpOption>().Single().Action!).MaxWidth = 120;
        return root;
    }

    /// <summary>Runs a subcommand (or the help); a parse error is one line on stderr, <c>SUBCOMMAND: PROBLEM</c>, and exit code 2.</summary>
    private static int Run(RootCommand root, string[] args)
    {
        var result = root.Parse(args, new ParserConfiguration { EnablePosixBundling = false });
        if (result.Action is not HelpAction && result.Errors.Count > 0)
        {
            Console.Error.WriteLine($"{result.CommandResult.Command.Name}: {CommandLineOptions.Problem(result)}");
            return 2;
        }
        // Exceptions are not caught (a stack trace, as before), and Ctrl+C keeps ending the process at once.
        return result.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
    }
}
