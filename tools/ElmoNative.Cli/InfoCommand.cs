using System.Globalization;
using System.Text;

namespace ElmoNative.Cli;

/// <summary><c>elmo info</c>: describes a checkpoint (after checking that all its datasets load).</summary>
internal static class InfoCommand
{
    /// <summary>The command and its options.</summary>
    public static ElmoCommand Create()
    {
        var command = new ElmoCommand("info", "check a checkpoint and print its options, size and MFLOP per token", Run)
        {
            Synopsis = ["elmo info [--model DIR|NAME | --options F --weights F]"],
            Details = """
                Loads and checks a checkpoint, then prints its options, parameter count, weight file size and a naive
                estimate of the arithmetic per token (multiply-adds counted as 2 FLOP; every convolution position of the
                character window counted; biases and nonlinearities not counted).
                """,
        };
        ModelSource.AddOptions(command);
        CommonOptions.Progress(command);
        CommonOptions.AddQuiet(command);
        return command;
    }

    /// <summary>Naive FLOP per token, by part (docs/model.md section 8).</summary>
    internal readonly record struct FlopEstimate(double CharCnn, double Highway, double Projection, double Lstm)
    {
        public double Total => CharCnn + Highway + Projection + Lstm;
    }

    private static int Run(CommandContext context, OptionValues args)
    {
        var source = ModelSource.Resolve(context, args);
        var checkpoint = source.Load();
        var o = checkpoint.Options;
        var flops = Estimate(o);
        var c = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(c, $"options:        {source.OptionsPath}");
        text.AppendLine(c, $"weights:        {source.WeightsPath} ({FormatBytes(new FileInfo(source.WeightsPath).Length)})");
        text.AppendLine(c, $"char CNN:       E={o.CharEmbeddingDim}, filters [{string.Join(", ", o.Filters.Select(f => $"[{f.Width}, {f.Count}]"))}] (F={o.FilterCount}), activation {o.Activation.ToString().ToLowerInvariant()}, max {o.MaxCharactersPerToken} characters per token");
        text.AppendLine(c, $"highway:        {o.HighwayLayers} layer(s); projection {(o.HasTokenProjection ? $"{o.FilterCount} -> {o.ProjectionDim}" : "none (F = P)")}");
        text.AppendLine(c, $"LSTM:           {o.LstmLayers} layer(s) per direction, H={o.LstmDim}, P={o.ProjectionDim}{(o.HasLstmProjection ? "" : " (no projection)")}, cell clip {Clip(o.CellClip)}, projection clip {Clip(o.ProjectionClip)}, skip connections {(o.UseSkipConnections ? "on" : "off")}");
        text.AppendLine(c, $"output:         {o.LstmLayers + 1} layers of {o.OutputDim} values per token");
        text.AppendLine(c, $"parameters:     {checkpoint.ParameterCount:N0} ({checkpoint.ParameterCount / 1e6:F1} M)");
        string format = flops.Total >= 1e7 ? "F1" : "F3"; // one decimal for real models, three for tiny test models
        string Mflop(double flop) => (flop / 1e6).ToString(format, c);
        text.AppendLine(c, $"MFLOP/token:    {Mflop(flops.Total)} (naive: LSTM {Mflop(flops.Lstm)}, highway {Mflop(flops.Highway)}, char CNN {Mflop(flops.CharCnn)}, projection {Mflop(flops.Projection)})");
        context.Out.Write(text.ToString());
        context.Summary = new RunSummary(string.Create(c, $"checked {checkpoint.ParameterCount:N0} parameters in {checkpoint.Tensors.Count} tensors"));
        return 0;
    }

    /// <summary>
    /// Multiply-adds (x2) per token: convolutions over every window position of the max_characters_per_token ids,
    /// both highway matrices per layer, the token projection, and per LSTM layer and direction the gate matrix
    /// [2P, 4H] and the output projection [H, P].
    /// </summary>
    internal static FlopEstimate Estimate(ElmoOptions o)
    {
        double cnn = 0;
        foreach (var f in o.Filters) cnn += 2.0 * (o.MaxCharactersPerToken - f.Width + 1) * f.Width * o.CharEmbeddingDim * f.Count;
        double highway = 2.0 * 2 * o.HighwayLayers * o.FilterCount * (double)o.FilterCount;
        double projection = o.HasTokenProjection ? 2.0 * o.FilterCount * o.ProjectionDim : 0;
        double perLayer = 2.0 * (2 * o.ProjectionDim) * (4 * o.LstmDim) + (o.HasLstmProjection ? 2.0 * o.LstmDim * o.ProjectionDim : 0);
        return new FlopEstimate(cnn, highway, projection, 2 * o.LstmLayers * perLayer);
    }

    private static string Clip(float? clip) => clip?.ToString(CultureInfo.InvariantCulture) ?? "none";

    private static string FormatBytes(long bytes) => bytes >= 1 << 20
        ? string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:F1} MiB, {bytes:N0} bytes")
        : string.Create(CultureInfo.InvariantCulture, $"{bytes:N0} bytes");
}
