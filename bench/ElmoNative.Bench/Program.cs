// Benchmark entry point: BenchmarkDotNet's switcher over every benchmark in this assembly
// (e.g. `-- --filter '*Sgemm*' --job short`). The end-to-end benchmark will add a non-BenchmarkDotNet
// subcommand here, `e2e` -> EndToEnd.Run(args[1..]); it is not wired yet because EndToEnd does not exist.
using BenchmarkDotNet.Running;

BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
