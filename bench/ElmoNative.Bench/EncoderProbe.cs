// A probe of the token encoder on the distinct tokens of real text (not BenchmarkDotNet): what the embed path pays for
// the tokens its cache misses. Times, best of 3 after a warm-up run, the whole encoder on one thread (in its own passes
// of TokenEncoder.ChunkTokens), the character CNN and the highway layers alone in chunks of 128 and 256 tokens, the
// encoder with its GEMMs' columns split between two threads, and the two-worker encode the model runs (TokenEncodeJob),
// in microseconds per token.
// Usage: encoder-probe [--preset small|medium|original] [--sentences 2000] [--input data/brown/brown.txt]
// (encoder-probe --help describes them)
using System.CommandLine;
using System.Globalization;
using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Layers;
using ElmoNative.Text;

namespace ElmoNative.Bench;

/// <summary>Microseconds per token of the token encoder's parts.</summary>
public static class EncoderProbe
{
    /// <summary>The <c>encoder-probe</c> subcommand and its options.</summary>
    public static Command Command()
    {
        var preset = BenchOptions.Preset(ModelPreset.Small);
        var sentences = BenchOptions.Sentences();
        var input = BenchOptions.Input();
        var command = new Command("encoder-probe",
            "microseconds per token of the token encoder (character CNN, highways, its threading) on the distinct tokens of real text")
        {
            preset, sentences, input,
        };
        command.SetAction(args => Run(args.GetValue(preset), args.GetValue(sentences), args.GetRequiredValue(input)));
        return command;
    }

    private static int Run(ModelPreset modelPreset, int sentences, string input)
    {
        if (!File.Exists(input)) { Console.Error.WriteLine($"encoder-probe: {input} not found (run tools/fetch-brown.sh first)"); return 1; }
        string preset = BenchOptions.Name(modelPreset);
        string dir = EndToEnd.CheckpointDirectory(modelPreset);
        using var model = ElmoModel.LoadDirectory(dir);
        var encoder = model.BiLm.Encoder;
        var options = model.Options;
        int w = options.MaxCharactersPerToken, p = options.ProjectionDim, f = options.FilterCount;
        var distinct = File.ReadLines(input).Take(sentences).SelectMany(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.Ordinal).ToArray();
        int n = distinct.Length;
        var ids = new int[n * w];
        for (int t = 0; t < n; t++) CharacterIds.Map(distinct[t], ids.AsSpan(t * w, w));
        var output = new float[n * p];
        using var ws = new BiLmWorkspace();
        ids.CopyTo(ws.MissingCharIds(n * w));
        ws.Fresh(n * p);

        Console.WriteLine($"{preset}: {n:N0} distinct tokens of the first {sentences:N0} lines; F = {f}, P = {p}");
        Console.WriteLine($"{"part",-36} {"us/token",9} {"ms",8}");
        void Report(string name, double seconds) =>
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-36} {seconds / n * 1e6,9:F1} {seconds * 1e3,8:F1}"));
        KernelSettings.MaxThreads = 2;
        using (KernelSettings.LimitCurrentThread(1))
        {
            Report($"encoder, 1 thread, passes of {TokenEncoder.ChunkTokens}", Best(() => encoder.Encode(ids, n, ws.Inference, output)));
            foreach (int chunk in new[] { 128, 256 })
            {
                Report($"  CNN only, chunks of {chunk}", Best(() =>
                {
                    for (int s = 0; s < n; s += chunk)
                    {
                        int m = Math.Min(chunk, n - s);
                        var scratch = ws.Inference.EncoderScratch(m * f);
                        encoder.Cnn.Forward(ids.AsSpan(s * w, m * w), m, scratch.Filters);
                    }
                }));
                Report($"  highways only, chunks of {chunk}", Best(() =>
                {
                    for (int s = 0; s < n; s += chunk)
                    {
                        int m = Math.Min(chunk, n - s);
                        var scratch = ws.Inference.EncoderScratch(m * f);
                        foreach (var highway in encoder.Highways) highway.Forward(scratch.Filters, m, scratch.Gate, scratch.Candidate, null);
                    }
                }));
            }
        }
        Report("encoder, 2 threads, GEMM columns split", Best(() => encoder.Encode(ids, n, ws.Inference, output)));
        var job = new TokenEncodeJob { Encoder = encoder, Workspace = ws, Count = n };
        Report("encoder, 2 workers (TokenEncodeJob)", Best(job.Run));
        return 0;
    }

    private static double Best(Action action) => Kernels.GemmProbe.Best(3, action);
}
