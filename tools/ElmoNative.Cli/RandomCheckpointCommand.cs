using System.Globalization;
using ElmoNative.Checkpoints;

namespace ElmoNative.Cli;

/// <summary><c>elmo random-checkpoint</c>: a checkpoint with seeded random weights, for tests and benchmarks.</summary>
internal static class RandomCheckpointCommand
{
    /// <summary>The command and its options.</summary>
    public static ElmoCommand Create()
    {
        var command = new ElmoCommand("random-checkpoint", "write a checkpoint with seeded random weights (options.json + weights.hdf5)", Run)
        {
            Synopsis = ["elmo random-checkpoint (--preset small|medium|original | --options FILE) [--seed N] --output DIR [--force]"],
            Details = """
                Writes DIR/options.json and DIR/weights.hdf5: a checkpoint in the bilm-tf / AllenNLP layout whose weights are
                random (scaled as bilm-tf initializes them) and reproducible from the seed.
                """,
        };
        command.Value("--preset", "NAME", "small (13.6 M parameters), medium (28.0 M) or original (93.6 M)");
        command.Value("--options", "FILE", "an options.json to use instead of a preset");
        command.Value("--seed", "N", "random seed (default 0); same seed, same weights");
        command.Value("--output", "DIR", "directory to write (created if needed)");
        command.Switch(CommonOptions.Force, "write into DIR even if it is not empty (replaces options.json and weights.hdf5)");
        CommonOptions.AddQuiet(command);
        return command;
    }

    private static int Run(CommandContext context, OptionValues args)
    {
        string? presetName = args.Value("--preset"), optionsPath = args.Value("--options");
        if ((presetName is null) == (optionsPath is null)) throw args.Error("give either --preset NAME or --options FILE");
        ModelPreset preset = default;
        if (presetName is not null && !RandomCheckpoint.TryParsePreset(presetName, out preset))
            throw args.Error($"--preset must be small, medium or original, not '{presetName}'");
        int seed = args.Int("--seed", 0);
        string output = args.Required("--output");
        bool force = args.Has("--force");

        if (output == OutputPath.StandardOutput) throw args.Error("--output names a directory (two files are written into it), not '-'");
        if (File.Exists(output)) throw CliException.DataError($"{output}: output is a file, not a directory");
        bool existed = Directory.Exists(output);
        if (existed && !force && Directory.EnumerateFileSystemEntries(output).Any())
            throw CliException.DataError($"{output}: directory is not empty (pass --force to overwrite options.json and weights.hdf5 in it)");
        if (optionsPath is not null)
        {
            if (Directory.Exists(optionsPath)) throw CliException.DataError($"{optionsPath}: options file is a directory, not a file");
            if (!File.Exists(optionsPath)) throw CliException.DataError($"{optionsPath}: options file not found");
        }

        // --options DIR/options.json --output DIR --force would replace the file being read.
        OutputPath.RequireNotInput(Path.Combine(output, ModelFiles.OptionsFileName), [optionsPath]);
        OutputPath.RequireNotInput(Path.Combine(output, ModelFiles.WeightsFileName), [optionsPath]);

        ElmoOptions options;
        try
        {
            options = optionsPath is null ? RandomCheckpoint.Options(preset) : ElmoOptions.Load(optionsPath);
        }
        catch (InvalidOperationException e)
        {
            throw CliException.DataError($"{optionsPath}: invalid options ({e.Message})");
        }
        context.Cancellation.ThrowIfCancellationRequested();
        var checkpoint = RandomCheckpoint.Create(options, seed);
        try
        {
            checkpoint.SaveDirectory(output);
        }
        catch
        {
            if (!existed) TryDeleteDirectory(output);
            throw;
        }
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"wrote {Path.Combine(output, ModelFiles.OptionsFileName)} and {Path.Combine(output, ModelFiles.WeightsFileName)}: {checkpoint.ParameterCount:N0} parameters, seed {seed}"));
        context.Summary = new RunSummary(string.Create(CultureInfo.InvariantCulture, $"{checkpoint.ParameterCount:N0} parameters, seed {seed}"), output);
        return 0;
    }

    private static void TryDeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
