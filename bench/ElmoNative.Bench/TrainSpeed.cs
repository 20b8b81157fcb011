using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Text;
using ElmoNative.Training;
using ElmoNative.Training.Data;
using ElmoNative.Training.Diagnostics;

namespace ElmoNative.Bench;

/// <summary>
/// Training throughput of <see cref="BiLmTrainer.TrainStep"/> (one long run, not a BenchmarkDotNet benchmark) on synthetic
/// windows whose tokens follow a Zipf law over V words (so the share of distinct tokens per window is realistic).
/// Tokens/s counts B x T tokens per window (each direction reads the same tokens).
/// Usage: train-speed [--config small|tiny] [--windows 20] [--threads N] [--profile]   (train-speed --help describes them)
///   small: docs/model.md section 8's small preset, V 16384, B 128, T 20, S 8192
///   tiny:  E 16, filters [[1,16],[2,16],[3,32],[4,64],[5,128]], 1 highway, H 384, P 128, 2 layers, V 16384, B 64, T 20, S 4096
/// </summary>
public static class TrainSpeed
{
    private static readonly string[] Configs = ["small", "tiny"];

    /// <summary>The <c>train-speed</c> subcommand and its options.</summary>
    public static Command Command()
    {
        var config = new Option<string>("--config")
        {
            HelpName = "small|tiny",
            Description = "the model and windows: small, the small preset (B 128, S 8192); tiny, H 384, P 128, 2 layers (B 64, S 4096); both V 16384, T 20",
            DefaultValueFactory = _ => "tiny",
            CustomParser = r =>
            {
                string name = r.Tokens[0].Value;
                if (!Configs.Contains(name)) r.AddError($"--config is small or tiny, not {name}");
                return name;
            },
        };
        var windows = CommandLineOptions.Int("--windows", 20, 1, "training windows timed (after 2 of warm-up)");
        var threads = BenchOptions.Threads();
        var profile = CommandLineOptions.Switch("--profile", "also print the time of each phase of a training step (PhaseTimer)");
        var command = new Command("train-speed", "training throughput of BiLmTrainer.TrainStep on synthetic Zipf-distributed windows")
        {
            config, windows, threads, profile,
        };
        command.SetAction(args => Run(args.GetRequiredValue(config), args.GetValue(windows), args.GetValue(threads), args.GetValue(profile)));
        return command;
    }

    private static int Run(string config, int windows, int threads, bool profile)
    {
        KernelSettings.MaxThreads = threads;
        TrainingOptions options = config switch
        {
            "small" => new TrainingOptions { Model = RandomCheckpoint.Options(ModelPreset.Small) with { CharacterCount = 261 }, VocabularySize = 16384, BatchSize = 128, UnrollSteps = 20, NegativeSamples = 8192 },
            "tiny" => new TrainingOptions
            {
                Model = new ElmoOptions
                {
                    CharEmbeddingDim = 16,
                    Filters = [new(1, 16), new(2, 16), new(3, 32), new(4, 64), new(5, 128)],
                    HighwayLayers = 1,
                    Activation = CharCnnActivation.Relu,
                    CharacterCount = 261,
                    LstmDim = 384,
                    ProjectionDim = 128,
                    LstmLayers = 2,
                    CellClip = 3,
                    ProjectionClip = 3,
                    UseSkipConnections = true,
                },
                VocabularySize = 16384, BatchSize = 64, UnrollSteps = 20, NegativeSamples = 4096,
            },
            _ => throw new ArgumentOutOfRangeException(nameof(config), config, "unknown config"), // checked by the option
        };

        var random = new Random(1);
        var pool = Enumerable.Range(0, 8).Select(_ => MakeWindow(options, random)).ToArray();
        using var trainer = new BiLmTrainer(options, seed: 1);
        Console.WriteLine($"config {config}: {trainer.ParameterCount / 1e6:F2} M trainable floats (with softmax), B {options.BatchSize}, T {options.UnrollSteps}, S {options.NegativeSamples}, threads {threads}");
        for (int i = 0; i < 2; i++) trainer.TrainStep(pool[i]); // warm-up (JIT, first-touch)
        PhaseTimer.Enabled = profile;
        PhaseTimer.Reset();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        TrainingStepResult last = default;
        for (int i = 0; i < windows; i++) last = trainer.TrainStep(pool[i % pool.Length]);
        clock.Stop();
        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        double tokens = (double)windows * options.BatchSize * options.UnrollSteps;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{windows} windows in {clock.Elapsed.TotalSeconds:F2} s: {tokens / clock.Elapsed.TotalSeconds:F0} tokens/s, {clock.Elapsed.TotalMilliseconds / windows:F0} ms/window; last loss {last.ForwardLoss:F3}/{last.BackwardLoss:F3} (gradient norm {last.GradientNorm:R}); allocated {allocated / windows / 1024.0:F1} KB/window on the calling thread; peak RSS {Environment.WorkingSet / 1e6:F0} MB"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CPU time {cpu.TotalSeconds:F2} s ({cpu.TotalSeconds / clock.Elapsed.TotalSeconds:F2} cores busy on average)"));
        if (profile)
        {
            double total = 0;
            foreach (var phase in Enum.GetValues<Phase>()) total += PhaseTimer.Seconds(phase);
            Console.WriteLine("phase                          ms/window   share (of the summed phase times; parallel phases overlap)");
            foreach (var phase in Enum.GetValues<Phase>())
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{phase,-30} {PhaseTimer.Seconds(phase) * 1000 / windows,9:F1}   {PhaseTimer.Seconds(phase) / total,6:P1}"));
        }
        return 0;
    }

    private static TrainingWindow MakeWindow(TrainingOptions o, Random random)
    {
        int w = o.Model.MaxCharactersPerToken, v = o.VocabularySize;
        var window = new TrainingWindow(o.BatchSize, o.UnrollSteps, w);
        double logRange = Math.Log(v + 1.0);
        for (int d = 0; d < 2; d++)
            for (int i = 0; i < o.BatchSize * o.UnrollSteps; i++)
            {
                int id = Math.Min(v - 1, (int)Math.Exp(random.NextDouble() * logRange) - 1);
                window.TokenIds[d][i] = id;
                window.TargetIds[d][i] = Math.Min(v - 1, (int)Math.Exp(random.NextDouble() * logRange) - 1);
                CharacterIds.Map(Spell(id), window.CharIds[d].AsSpan(i * w, w));
            }
        return window;
    }

    private static string Spell(int id)
    {
        var chars = new List<char>();
        do
        {
            chars.Add((char)('a' + id % 26));
            id /= 26;
        } while (id > 0);
        return new string(chars.ToArray());
    }
}
