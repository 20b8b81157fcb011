using BenchmarkDotNet.Running;

namespace ElmoNative.Bench;

/// <summary>
/// `dotnet run -c Release --project bench/ElmoNative.Bench -- e2e [options]` runs the end-to-end measurement,
/// `-- train-speed [options]` measures training throughput, `-- gemm` a quick best-of-N SGEMM probe against OpenBLAS, `-- lstm-probe` the GEMMs of LSTM steps with weights streaming from memory, `-- encoder-probe` the token encoder on the distinct tokens of real text, `-- stream-memory` the memory of `elmo embed` over a long input,
/// `-- report [--output FILE]` the per-preset summary of bench/results/ (see bench/README.md);
/// anything else goes to BenchmarkDotNet (e.g. `-- --filter '*Sgemm*'`).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "e2e") return EndToEnd.Run(args[1..]);
        if (args.Length > 0 && args[0] == "train-speed") return TrainSpeed.Run(args[1..]);
        if (args.Length > 0 && args[0] == "report") return Report.Run(args[1..]);
        if (args.Length > 0 && args[0] == "report-preset") return Report.RunPreset(args[1..]);
        if (args.Length > 0 && args[0] == "gemm") return Kernels.GemmProbe.Run(args[1..]);
        if (args.Length > 0 && args[0] == "lstm-probe") return Kernels.LstmStepProbe.Run(args[1..]);
        if (args.Length > 0 && args[0] == "encoder-probe") return EncoderProbe.Run(args[1..]);
        if (args.Length > 0 && args[0] == "stream-memory") return StreamMemory.Run(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}
