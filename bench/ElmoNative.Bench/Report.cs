using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using ElmoNative.Bench.Kernels;
using ElmoNative.Checkpoints;
using ElmoNative.Kernels;

namespace ElmoNative.Bench;

/// <summary>
/// `report [--sentences 2000] [--input FILE] [--presets small,medium,original] [--rounds 3] [--output FILE]` (described by
/// `report --help`): one run that measures, for each preset in a child process of its own (so that each peak RSS is its
/// own, and with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed from the child's environment so that OpenBLAS picks its
/// own kernel), end-to-end tokens/s at the defaults of `elmo embed` (batch 64, stateless, all cores, token cache on), the
/// necessary MFLOP per token, the same process's SGEMM rates (OpenBLAS and ours, 2 threads, M=640 K=P N=4H), their ratio,
/// the token cache hit rate, batch-1 latency, load time and peak RSS; prints a Markdown table (and writes it to --output).
/// On a shared machine the yardstick moves by a third from one minute to the next (bench/README.md, "AVX2 on a Zen 3"),
/// so the timed run is repeated in rounds, each followed at once by its own SGEMM probe; the fractions are per round,
/// and the table gives their median with every round's value.
/// </summary>
public static class Report
{
    private const int LoadRuns = 3, GemmRows = 640, GemmThreads = 2, GemmRepeats = 5, DefaultBatchSize = 64, LatencyTokens = 20;
    /// <summary>How long the sustained OpenBLAS rate is measured after each round.</summary>
    private static readonly TimeSpan SustainedSpan = TimeSpan.FromSeconds(3);
    private static readonly string[] UnsetVariables = ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"];
    private static readonly string[] ReportedFlags = ["avx512f", "avx2", "fma"];
    private static readonly ModelPreset[] DefaultPresets = [ModelPreset.Small, ModelPreset.Medium, ModelPreset.Original];

    /// <summary>The <c>report</c> subcommand and its options.</summary>
    public static Command Command()
    {
        var sentences = BenchOptions.Sentences();
        var input = BenchOptions.Input();
        var presets = new Option<ModelPreset[]>("--presets")
        {
            HelpName = "P1,P2,...",
            Description = $"the presets measured, in this order, separated by commas ({BenchOptions.PresetNames}; default: {string.Join(',', DefaultPresets.Select(BenchOptions.Name))})",
            Arity = ArgumentArity.ExactlyOne,
            CustomParser = r =>
            {
                string[] names = r.Tokens[0].Value.Split(',', StringSplitOptions.RemoveEmptyEntries);
                if (names.Length == 0) r.AddError("--presets names no preset");
                return [.. names.Select(p => BenchOptions.ParsePreset(r, p, " in --presets"))];
            },
        };
        var rounds = CommandLineOptions.Int("--rounds", 3, 1, "times each preset's timed run is repeated, each followed by its own SGEMM probe");
        var output = new Option<string>("--output") { HelpName = "FILE", Description = "also write the table to FILE (replaced whole at the end)" };
        var command = new Command("report",
            "the per-preset summary of bench/results/: tokens/s against the same process's SGEMM rates (ours and OpenBLAS's), "
            + "latency and its memory bound, load time, peak RSS; a Markdown table on stdout")
        {
            sentences, input, presets, rounds, output,
        };
        command.SetAction(args => Run(args.GetValue(presets) is { Length: > 0 } chosen ? chosen : DefaultPresets,
            args.GetValue(sentences), args.GetRequiredValue(input), args.GetValue(rounds), args.GetValue(output)));
        return command;
    }

    /// <summary>
    /// The <c>report-preset PRESET SENTENCES INPUT ROUNDS</c> subcommand: the child process <see cref="RunChild"/> starts
    /// for each preset (listed in the help, as a hidden command's help would be empty).
    /// </summary>
    public static Command PresetCommand()
    {
        var preset = BenchOptions.PresetArgument();
        var sentences = new Argument<int>("SENTENCES")
        {
            Description = "the first SENTENCES lines of INPUT",
            CustomParser = r => CommandLineOptions.ParseInt(r, r.Tokens[0].Value, "SENTENCES", 1),
        };
        var input = new Argument<string>("INPUT") { Description = "the text, one sentence per line" };
        var rounds = new Argument<int>("ROUNDS")
        {
            Description = "rounds of the timed run, each followed by its SGEMM probe",
            CustomParser = r => CommandLineOptions.ParseInt(r, r.Tokens[0].Value, "ROUNDS", 1),
        };
        var command = new Command("report-preset", "internal: the child process report runs for each preset (measures it, prints key=value lines)")
        {
            preset, sentences, input, rounds,
        };
        command.SetAction(args => RunPreset(args.GetValue(preset), args.GetValue(sentences), args.GetRequiredValue(input), args.GetValue(rounds)));
        return command;
    }

    private static int Run(ModelPreset[] presets, int sentences, string input, int rounds, string? outputFile)
    {
        if (!File.Exists(input)) { Console.Error.WriteLine($"report: {input} not found (run tools/fetch-brown.sh first)"); return 1; }

        string loadBefore = LoadAverage();
        var started = DateTime.UtcNow;
        var columns = new List<Dictionary<string, string>>();
        foreach (var preset in presets)
        {
            // Written here if missing, not in the child: its peak RSS would otherwise be the checkpoint writer's (878 MB
            // for `original` on a fresh machine).
            EndToEnd.CheckpointDirectory(preset);
            Console.Error.WriteLine($"report: measuring {BenchOptions.Name(preset)} ...");
            var values = RunChild(preset, "report-preset", BenchOptions.Name(preset), sentences.ToString(CultureInfo.InvariantCulture), input,
                rounds.ToString(CultureInfo.InvariantCulture));
            if (values is null) return 1;
            // The load again in fresh processes, so that the table can give a median: a load in the same process again
            // would skip the JIT (`small`: 0.52 s, then 0.06 s), and single loads of `original` moved from 0.54 to 1.05 s.
            values["loadSeconds0"] = values["loadSeconds"];
            for (int load = 1; load < LoadRuns; load++)
            {
                var again = RunChild(preset, "report-load", BenchOptions.Name(preset));
                if (again is null) return 1;
                values[$"loadSeconds{load}"] = again["loadSeconds"];
            }
            columns.Add(values);
        }
        string table = Format([.. presets.Select(BenchOptions.Name)], columns, sentences, rounds, input, started, loadBefore, LoadAverage());
        Console.Write(table);
        if (outputFile is not null)
        {
            string temp = outputFile + ".tmp";
            File.WriteAllText(temp, table);
            File.Move(temp, outputFile, overwrite: true);
        }
        return 0;
    }

    /// <summary>The child's side (`report-preset PRESET SENTENCES INPUT ROUNDS`): measures one preset, prints key=value lines.</summary>
    private static int RunPreset(ModelPreset preset, int sentences, string input, int rounds)
    {
        var ours = new double[rounds];
        var blas = new double[rounds];
        var sustained = new double[rounds];
        SgemmYardstick? yardstick = null;
        try
        {
            var e2e = EndToEnd.Measure(preset, input, sentences, DefaultBatchSize, Environment.ProcessorCount,
                EndToEndMode.File, rounds: rounds, afterEachRound: round =>
                {
                    // Made after the first round, so that the peak RSS is the model's alone, not the probe's matrices.
                    yardstick ??= new SgemmYardstick(Shape(RandomCheckpoint.Options(preset)));
                    (ours[round], blas[round], sustained[round]) = yardstick.Measure();
                });
            return Print(e2e, ours, blas, sustained);
        }
        finally
        {
            yardstick?.Dispose();
        }
    }

    private static int Print(EndToEndResult e2e, double[] ours, double[] blas, double[] sustained)
    {
        (double oursGbs, double blasGbs) = GemvProbe.Bandwidth(GemmThreads, GemmRepeats);
        var values = new Dictionary<string, double>
        {
            ["sentences"] = e2e.Sentences,
            ["tokens"] = e2e.Tokens,
            ["threads"] = e2e.Threads,
            ["tokensPerCpuSecond"] = e2e.Tokens / e2e.CpuSeconds,
            ["mflopPerToken"] = e2e.MflopPerToken,
            ["encoderMflopPerToken"] = e2e.EncoderMflopOnMissesPerToken,
            ["p"] = e2e.Options.ProjectionDim,
            ["h"] = e2e.Options.LstmDim,
            ["layers"] = e2e.Options.LstmLayers,
            ["cacheHitRate"] = e2e.CacheHitRate,
            ["cacheMisses"] = e2e.CacheLookups - e2e.CacheHits,
            ["latencyMs"] = e2e.LatencyMilliseconds,
            ["latencyBestMs"] = e2e.LatencyBestMilliseconds,
            ["latencyBytes"] = LatencyBytes(e2e.Options, e2e.ParameterCount, LatencyTokens),
            ["oursGemvGbs"] = oursGbs,
            ["openBlasGemvGbs"] = blasGbs,
            ["loadSeconds"] = e2e.LoadSeconds,
            ["peakMb"] = e2e.PeakBytes / 1e6,
            ["weightsMb"] = e2e.WeightBytes / 1e6,
        };
        for (int round = 0; round < e2e.RoundSeconds.Count; round++)
        {
            values[$"tokensPerSecond{round}"] = e2e.Tokens / e2e.RoundSeconds[round];
            values[$"oursGflops{round}"] = ours[round];
            values[$"openBlasGflops{round}"] = blas[round];
            values[$"openBlasSustainedGflops{round}"] = sustained[round];
        }
        foreach (var (key, value) in values) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{key}={value:R}"));
        Console.WriteLine($"openBlasEnvironment={string.Join(' ', UnsetVariables.Select(v => $"{v}={Environment.GetEnvironmentVariable(v) ?? "unset"}"))}");
        return 0;
    }

    /// <summary>
    /// Bytes of weights a batch-1 run of one sentence of <paramref name="tokens"/> tokens must read from memory: the
    /// token encoder's weights once (all parameters outside the LSTMs), each LSTM's W_x and B once (the input part of
    /// every step is one product over the sentence), and W_h and W_P once per step (n + 2 steps with the boundary
    /// tokens). At <c>original</c>'s size none of it stays in the L3 from one step to the next; the smaller presets' step
    /// weights (10 and 42 MB for both directions and layers) partly do, so their latency can beat this bound.
    /// </summary>
    private static double LatencyBytes(ElmoOptions options, long parameters, int tokens)
    {
        long h = options.LstmDim, p = options.ProjectionDim, lstms = 2L * options.LstmLayers;
        long projection = options.HasLstmProjection ? h * p : 0;
        long once = lstms * (p * 4 * h + 4 * h), perStep = lstms * (p * 4 * h + projection);
        long encoder = parameters - once - perStep;
        return sizeof(float) * (double)(encoder + once + (tokens + 2L) * perStep);
    }

    /// <summary>The SGEMM a preset's recurrent step is measured against: M=640, K=P, N=4H.</summary>
    private static GemmShape Shape(ElmoOptions options) => new(GemmRows, options.ProjectionDim, 4 * options.LstmDim);

    /// <summary>The yardstick of one preset: best-of-N GFLOP/s of our SGEMM and OpenBLAS's (NaN when it is not installed) on 2 threads, on matrices made once.</summary>
    private sealed class SgemmYardstick : IDisposable
    {
        private readonly GemmShape shape;
        private readonly float[] a, b, c;
        private readonly PackedMatrix packed;

        public SgemmYardstick(GemmShape shape)
        {
            this.shape = shape;
            var random = new Random(42);
            a = Enumerable.Range(0, shape.M * shape.K).Select(_ => random.NextSingle() - 0.5f).ToArray();
            b = Enumerable.Range(0, shape.K * shape.N).Select(_ => random.NextSingle() - 0.5f).ToArray();
            c = new float[shape.M * shape.N];
            packed = PackedMatrix.Pack(b, shape.K, shape.N, shape.N);
        }

        public (double Ours, double OpenBlas, double OpenBlasSustained) Measure()
        {
            KernelSettings.MaxThreads = GemmThreads;
            double ours = shape.Flops / GemmProbe.Best(GemmRepeats, () => Sgemm.Multiply(GemmThreads, null, shape.M, a, shape.K, packed, 0f, c, shape.N)) / 1e9;
            double blas = double.NaN, sustained = double.NaN;
            if (OpenBlas.IsAvailable)
            {
                OpenBlas.SetThreadCount(GemmThreads);
                blas = shape.Flops / GemmProbe.Best(GemmRepeats, () => OpenBlas.Multiply(shape.M, shape.N, shape.K, a, b, c)) / 1e9;
                sustained = shape.Flops / GemmProbe.Mean(SustainedSpan, () => OpenBlas.Multiply(shape.M, shape.N, shape.K, a, b, c)) / 1e9;
            }
            return (ours, blas, sustained);
        }

        public void Dispose() => packed.Dispose();
    }

    /// <summary>The <c>report-load PRESET</c> subcommand: a child process that only loads the preset's checkpoint and prints <c>loadSeconds=</c>.</summary>
    public static Command LoadCommand()
    {
        var preset = BenchOptions.PresetArgument();
        var command = new Command("report-load", "internal: the child process report runs to time a load in a fresh process (prints loadSeconds=S)") { preset };
        command.SetAction(args =>
        {
            string dir = EndToEnd.CheckpointDirectory(args.GetValue(preset));
            EndToEnd.WarmPageCache(dir);
            long start = Stopwatch.GetTimestamp();
            using (ElmoModel.LoadDirectory(dir)) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"loadSeconds={Stopwatch.GetElapsedTime(start).TotalSeconds:R}"));
            return 0;
        });
        return command;
    }

    /// <summary>Runs this program's <paramref name="arguments"/> in a child process for <paramref name="preset"/>; its key=value lines, or null if it failed.</summary>
    private static Dictionary<string, string>? RunChild(ModelPreset preset, params string[] arguments)
    {
        string self = typeof(Report).Assembly.Location;
        string host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { RedirectStandardOutput = true, UseShellExecute = false };
        // Started through `dotnet ElmoNative.Bench.dll` or the apphost: either way the same build runs the child.
        if (Path.GetFileNameWithoutExtension(host) == "dotnet") start.ArgumentList.Add(self);
        foreach (string a in arguments) start.ArgumentList.Add(a);
        foreach (string v in UnsetVariables) start.Environment.Remove(v);
        using var child = Process.Start(start) ?? throw new InvalidOperationException($"report: could not start {host}");
        string stdout = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        if (child.ExitCode != 0) { Console.Error.WriteLine($"report: the {BenchOptions.Name(preset)} child ({arguments[0]}) exited with {child.ExitCode}"); return null; }
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1].Trim());
    }

    private static string Format(string[] presets, List<Dictionary<string, string>> columns, int sentences, int rounds, string input,
        DateTime started, string loadBefore, string loadAfter)
    {
        double V(int column, string key) => double.Parse(columns[column][key], CultureInfo.InvariantCulture);
        // A measure of each round (its value from that round's run and that round's probe): the median, then every round's.
        double R(int column, string key, int round) => V(column, key + round.ToString(CultureInfo.InvariantCulture));
        double Middle(int column, string key) => Median([.. Enumerable.Range(0, rounds).Select(r => R(column, key, r))]);
        // count measures: their median, then each one's (the median alone for a single measure).
        string Spread(int count, Func<int, double> value, string format, string unit = "", bool bold = false)
        {
            var values = Enumerable.Range(0, count).Select(value).ToArray();
            string median = Median(values).ToString(format, CultureInfo.InvariantCulture) + unit;
            if (bold) median = $"**{median}**";
            return count == 1 ? median : $"{median} ({string.Join(" / ", values.Select(v => v.ToString(format, CultureInfo.InvariantCulture) + unit))})";
        }
        string PerRound(Func<int, double> value, string format, string unit = "", bool bold = false) => Spread(rounds, value, format, unit, bold);
        double Fraction(int c, int round, double mflop, string rate) => R(c, "tokensPerSecond", round) * mflop * 1e6 / (R(c, rate, round) * 1e9) * 100;
        string Row(string label, Func<int, string> cell) =>
            $"| {label} | {string.Join(" | ", Enumerable.Range(0, presets.Length).Select(cell))} |";
        var inv = CultureInfo.InvariantCulture;
        double LatencyBound(int c) => V(c, "latencyBytes") / 1e6 / Max(V(c, "oursGemvGbs"), V(c, "openBlasGemvGbs"));
        static double Max(double a, double b) => double.IsNaN(b) ? a : Math.Max(a, b);
        (string model, string flags) = Cpu();
        var text = new StringBuilder();
        text.AppendLine("# ElmoNative benchmark report");
        text.AppendLine();
        text.AppendLine(inv, $"- CPU: {model}, {Environment.ProcessorCount} logical cores; flags: {flags}");
        text.AppendLine(inv, $"- date: {started:yyyy-MM-dd HH:mm} UTC; commit: {Commit()}; .NET {Environment.Version}");
        text.AppendLine(inv, $"- load average (1, 5, 15 min) before: {loadBefore}; after: {loadAfter} (other jobs share the machine)");
        text.AppendLine(inv, $"- OpenBLAS: {(OpenBlas.IsAvailable ? "found" : "not installed (n/a)")}; in each child: {columns[0]["openBlasEnvironment"]} (removed from the child's environment so that OpenBLAS picks its own kernel)");
        text.AppendLine(inv, $"- input: first {sentences:N0} lines of {Path.GetFileName(input)}; random checkpoints (seed 1) of each preset; each preset measured in a child process of its own");
        text.AppendLine(inv, $"- settings: the defaults of `elmo embed` and its path (EmbeddingFile from a text file to an HDF5 file): batch {DefaultBatchSize}, stateless (regrouped by length), all cores ({columns[0]["threads"]} threads), token cache on; {rounds} round{(rounds == 1 ? "" : "s")} per preset");
        text.AppendLine();
        text.AppendLine(Row("measure", c => presets[c]));
        text.AppendLine(Row("---", _ => "---:"));
        text.AppendLine(Row("sentences / tokens", c => string.Create(inv, $"{V(c, "sentences"):N0} / {V(c, "tokens"):N0}")));
        text.AppendLine(Row("LSTM: layers L, cell H, projection P", c => string.Create(inv, $"{V(c, "layers")}, {V(c, "h")}, {V(c, "p")}")));
        string each = rounds == 1 ? "" : $"; median of {rounds} rounds, then each round's";
        text.AppendLine(Row($"tokens/s{each}", c => PerRound(r => R(c, "tokensPerSecond", r), "N0")));
        text.AppendLine(Row("tokens per CPU-second (first round)", c => string.Create(inv, $"{V(c, "tokensPerCpuSecond"):N0}")));
        text.AppendLine(Row("necessary MFLOP/token", c => string.Create(inv, $"{V(c, "mflopPerToken"):F1}")));
        text.AppendLine(Row("SGEMM shape (M, K=P, N=4H)", c => string.Create(inv, $"{GemmRows}, {V(c, "p")}, {4 * V(c, "h")}")));
        text.AppendLine(Row($"OpenBLAS SGEMM GFLOP/s (2 threads, best of 5 right after each round{each})", c => PerRound(r => R(c, "openBlasGflops", r), "F1")));
        text.AppendLine(Row($"our SGEMM GFLOP/s (2 threads, best of 5{each})", c => PerRound(r => R(c, "oursGflops", r), "F1")));
        text.AppendLine(Row($"**fraction of the GEMM limit** (tokens/s x MFLOP/token / OpenBLAS, round by round{each})", c =>
            PerRound(r => Fraction(c, r, V(c, "mflopPerToken"), "openBlasGflops"), "F1", "%", bold: true)));
        text.AppendLine(Row("limit at OpenBLAS's (median) rate, tokens/s", c => string.Create(inv, $"{Middle(c, "openBlasGflops") * 1e3 / V(c, "mflopPerToken"):N0}")));
        text.AppendLine(Row($"fraction of our own SGEMM rate (tokens/s x MFLOP/token / ours{each})", c =>
            PerRound(r => Fraction(c, r, V(c, "mflopPerToken"), "oursGflops"), "F1", "%")));
        text.AppendLine(Row($"OpenBLAS SGEMM GFLOP/s sustained (2 threads, mean of back-to-back products over {SustainedSpan.TotalSeconds:F0} s right after each round{each})", c =>
            PerRound(r => R(c, "openBlasSustainedGflops", r), "F1")));
        text.AppendLine(Row($"fraction of the sustained OpenBLAS rate (tokens/s x MFLOP/token / the sustained rate{each})", c =>
            PerRound(r => Fraction(c, r, V(c, "mflopPerToken"), "openBlasSustainedGflops"), "F1", "%")));
        text.AppendLine(Row("token cache hit rate, one lookup per distinct token of a batch (tokens encoded: count, share of all tokens)", c =>
            string.Create(inv, $"{V(c, "cacheHitRate") * 100:F1}% ({V(c, "cacheMisses"):N0}, {V(c, "cacheMisses") / V(c, "tokens") * 100:F1}%)")));
        text.AppendLine(Row("encoder GEMMs on cache misses, MFLOP/token (not counted above)", c =>
            string.Create(inv, $"{V(c, "encoderMflopPerToken"):F1} ({V(c, "encoderMflopPerToken") / V(c, "mflopPerToken") * 100:F0}% of the LSTM's)")));
        text.AppendLine(Row($"fraction with those encoder GEMMs counted too ((MFLOP/token + encoder MFLOP/token) x tokens/s / OpenBLAS{each})", c =>
            PerRound(r => Fraction(c, r, V(c, "mflopPerToken") + V(c, "encoderMflopPerToken"), "openBlasGflops"), "F1", "%")));
        text.AppendLine(Row("batch-1 latency, 20 tokens (median of 11; best)", c => string.Create(inv, $"{V(c, "latencyMs"):F1} ms ({V(c, "latencyBestMs"):F1} ms)")));
        text.AppendLine(Row("GEMV GB/s, ours / OpenBLAS (2 threads, 192 MB of weights, best of 5)", c =>
            string.Create(inv, $"{V(c, "oursGemvGbs"):F1} / {V(c, "openBlasGemvGbs"):F1}")));
        text.AppendLine(Row("**batch-1 latency bound** (weights read once per step at the better GEMV rate: MB / GB/s)", c =>
            string.Create(inv, $"**{LatencyBound(c):F1} ms** ({V(c, "latencyBytes") / 1e6:N0} MB)")));
        text.AppendLine(Row("latency / bound (median; best)", c => string.Create(inv, $"{V(c, "latencyMs") / LatencyBound(c):F2} ({V(c, "latencyBestMs") / LatencyBound(c):F2})")));
        text.AppendLine(Row($"load time (median of {LoadRuns} fresh processes, then each)", c => Spread(LoadRuns, l => R(c, "loadSeconds", l), "F2", " s")));
        text.AppendLine(Row("peak RSS (weights file)", c => string.Create(inv, $"{V(c, "peakMb"):N0} MB ({V(c, "weightsMb"):N0} MB)")));
        text.AppendLine();
        text.AppendLine("Necessary MFLOP per token: the LSTM steps only, 2 directions x L layers x (2·P·4H input + 2·P·4H recurrent + "
            + "2·H·P projection) per step, times (Σn + 2·S) / Σn over the S measured sentences of n tokens (the two boundary "
            + "steps of each sentence); the character CNN, highway and the token cache are not counted. The fraction of the "
            + "GEMM limit is tokens/s x MFLOP/token / (OpenBLAS GFLOP/s x 1000), taken round by round: each round times the whole run, "
            + "then probes both SGEMMs at once, so that a round's fraction compares two measures made in the same minute of a machine "
            + "whose speed moves (every round starts from the same state: token cache cleared, warm-up batch run again). "
            + "The OpenBLAS rate of that fraction is its best of 5 products, the machine's best moment; the sustained rate is "
            + "the mean over a few seconds of back-to-back products, closer to what a run of many seconds meets, and the fraction "
            + "against it is given beside. The timed run is `elmo embed`'s own path "
            + "(EmbeddingFile from a text file to an HDF5 file, stateless, regrouped by length), file writing included. The encoder row "
            + "counts the highway and projection GEMMs of the tokens the cache missed (the character convolutions left out): work the "
            + "LSTM-only limit does not count, which weighs on the small shapes where the LSTM is cheap; the row after it counts "
            + "that work as well (still without the convolutions, so it is a lower bound of the GEMM work done). Peak RSS is the child's own "
            + "high-water mark by the end of the first round (before the SGEMM probe and the latency runs); the token cache hit rate and "
            + "the tokens per CPU-second are the first round's; the load times are the preset's child's own and those of two more child processes that only load the checkpoint, each from a warm page cache (the checkpoint's files read once, untimed, right before: on a machine that reclaims cold page cache, as the development machine does within about a minute, the load would otherwise read from disk). The latency bound is "
            + "the time to read, at the better of the two GEMV rates, the weights a batch-1 run of the 20-token sentence must "
            + "read from memory: the token encoder's once, each LSTM's W_x and bias once, its W_h and W_P once per step (22 "
            + "steps with the boundary tokens); the GEMV rate is y = x B over six 32 MB matrices (K=512, N=16384), ours with "
            + "each of two threads streaming its own three (as the two directions do), OpenBLAS's sgemv on two threads.");
        return text.ToString();
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static (string Model, string Flags) Cpu()
    {
        try
        {
            var lines = File.ReadLines("/proc/cpuinfo").ToList();
            string Field(string name) => lines.FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "";
            var flags = Field("flags").Split(' ').ToHashSet();
            string list = string.Join(", ", ReportedFlags.Select(f => $"{f} {(flags.Contains(f) ? "yes" : "no")}"));
            return ($"{Field("model name")} (family {Field("cpu family")}, model {Field("model\t")})", list);
        }
        catch (IOException) { return ("unknown (no /proc/cpuinfo)", "unknown"); }
    }

    private static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "unknown"; }
    }

    private static string Commit()
    {
        try
        {
            var start = new ProcessStartInfo("git", "rev-parse --short HEAD")
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
                WorkingDirectory = EndToEnd.RepositoryRoot,
            };
            using var git = Process.Start(start);
            if (git is null) return "unknown";
            string hash = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 && hash.Length > 0 ? hash : "unknown";
        }
        catch (System.ComponentModel.Win32Exception) { return "unknown (no git)"; }
    }
}
