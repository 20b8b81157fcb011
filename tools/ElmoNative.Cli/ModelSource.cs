using ElmoNative.Checkpoints;

namespace ElmoNative.Cli;

/// <summary>
/// Which checkpoint a command uses: <c>--model DIR</c>, <c>--model NAME</c> (a published model, downloaded into the cache
/// on first use; docs/models.md), or <c>--options FILE --weights FILE</c>, or else <c>models/default/</c> in the
/// repository the executable was built in.
/// </summary>
internal sealed record ModelSource(string OptionsPath, string WeightsPath)
{
    /// <summary>The user registry file read to resolve the model (<c>--registry</c> or <c>ELMONATIVE_REGISTRY</c>), or null.</summary>
    public string? RegistryPath { get; init; }

    /// <summary>Every file the model comes from, for the check that an output is none of them (<see cref="OutputPath"/>).</summary>
    public IEnumerable<string?> Files => [OptionsPath, WeightsPath, RegistryPath];

    /// <summary>
    /// Adds the model options, in a section "model" of the help: <c>--model DIR|NAME</c>, <c>--options FILE</c>,
    /// <c>--weights FILE</c> (with AllenNLP's spellings <c>--options-file</c> and <c>--weight-file</c> where
    /// <paramref name="allenNlpAliases"/>) and <c>--registry FILE</c>.
    /// </summary>
    public static void AddOptions(ElmoCommand command, bool allenNlpAliases = false)
    {
        command.Section("model");
        command.Value("--model", "DIR|NAME", "a model folder (options.json or *_options.json, and weights.hdf5, lm_weights.hdf5 or *_weights.hdf5; "
            + "or exactly one options JSON and one HDF5 file), or the name of a published model ('elmo models list'), downloaded "
            + "into the cache on first use. Without a model option: models/default/ in the repository (a small biLM trained on "
            + "Brown), or the folder named by ELMONATIVE_DEFAULT_MODEL");
        command.Value("--options", "FILE", "options.json of a bilm-tf / AllenNLP checkpoint (with --weights)", allenNlpAliases ? ["--options-file"] : []);
        command.Value("--weights", "FILE", "its HDF5 weights (with --options)", allenNlpAliases ? ["--weight-file"] : []);
        ModelHub.AddRegistryOption(command);
        command.Section("options");
    }

    /// <summary>
    /// Resolves the model options of <paramref name="args"/>; missing files are data errors. A published model's name
    /// is downloaded first when the cache does not hold it (a progress bar on stderr).
    /// </summary>
    public static ModelSource Resolve(CommandContext context, OptionValues args)
    {
        string? model = args.Value("--model"), options = args.Value("--options"), weights = args.Value("--weights");
        if (model is not null && (options is not null || weights is not null))
            throw args.Error("give either --model DIR|NAME or --options FILE --weights FILE, not both");
        var hub = ModelHub.Open(context, args);
        return ResolveWith(hub, model, options, weights, args) with { RegistryPath = hub.RegistryPath };
    }

    /// <summary>
    /// Resolves a model named by another option than <c>--model</c> (<c>elmo train --init-from MODEL</c>, <c>elmo tagger eval --compare-model MODEL</c>) as <c>--model</c>
    /// would: a folder, or a published model's name (downloaded first when the cache does not hold it).
    /// </summary>
    public static ModelSource ResolveNamed(CommandContext context, OptionValues args, string model)
    {
        var hub = ModelHub.Open(context, args);
        return FromModelOption(model, hub) with { RegistryPath = hub.RegistryPath };
    }

    private static ModelSource ResolveWith(ModelHub hub, string? model, string? options, string? weights, OptionValues args)
    {
        if (model is not null) return FromModelOption(model, hub);
        if ((options is null) != (weights is null))
            throw args.Error(options is null ? "--weights needs --options too" : "--options needs --weights too");
        if (options is not null && weights is not null)
        {
            RequireFile(options, "options file");
            RequireFile(weights, "weights file");
            return new ModelSource(options, weights);
        }
        string? fallback = DefaultDirectory();
        if (fallback is not null && Directory.Exists(fallback)) return FromDirectory(fallback);
        throw args.Error($"no model given: pass --model DIR|NAME (or --options FILE --weights FILE); there is no {fallback ?? "models/default/"} to fall back on");
    }

    /// <summary>Environment variable naming the model folder used when none is given (instead of models/default/).</summary>
    public const string DefaultModelVariable = ElmoModel.DefaultModelVariable;

    /// <summary>The folder of the model used when none is given: $ELMONATIVE_DEFAULT_MODEL, else models/default/ beside the program.</summary>
    public static string? DefaultDirectory() => ElmoModel.FindDefaultDirectory();

    /// <summary>Loads and checks the checkpoint (every dataset present with its expected shape).</summary>
    public Checkpoint Load()
    {
        try
        {
            return Checkpoint.Load(OptionsPath, WeightsPath);
        }
        catch (InvalidOperationException e)
        {
            // A JSON value of the wrong kind in options.json (e.g. a number where a string belongs).
            throw CliException.DataError($"{OptionsPath}: invalid options ({e.Message})");
        }
    }

    /// <summary>
    /// Loads the model straight from the files (checked as a whole first, then read and packed one tensor at a time, so
    /// that peak memory stays near the model's own size). <paramref name="threads"/> (<c>--threads</c>) is the model's own
    /// thread count (all cores when null), not a process-wide setting.
    /// </summary>
    public ElmoModel LoadModel(int? threads = null)
    {
        try
        {
            return ElmoModel.Load(OptionsPath, WeightsPath, new ElmoLoadOptions { Threads = threads });
        }
        catch (InvalidOperationException e)
        {
            throw CliException.DataError($"{OptionsPath}: invalid options ({e.Message})");
        }
    }

    /// <summary>
    /// <c>--model X</c>: an existing folder, or a path (X holds a directory separator, which no model name does: the
    /// folder's messages then), else a published model's name or alias.
    /// </summary>
    private static ModelSource FromModelOption(string model, ModelHub hub)
    {
        // A training checkpoint folder whose save a kill cut short is missing until restored (docs/training.md,
        // "Interrupted saves"); a bare folder name must find it before it is taken for a published model's name.
        if (!Directory.Exists(model) && !File.Exists(model)) CheckpointFolderSwap.Recover(model);
        if (Directory.Exists(model) || File.Exists(model) || IsPath(model)) return FromDirectory(model);
        var (options, weights) = hub.Resolve(model);
        return new ModelSource(options, weights);
    }

    private static bool IsPath(string text) =>
        text.IndexOfAny(['/', Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar]) >= 0 || text is "." or ".." || text.StartsWith('~');

    private static ModelSource FromDirectory(string directory)
    {
        if (File.Exists(directory)) throw CliException.DataError($"{directory}: model directory is a file, not a directory");
        var (options, weights) = ModelFiles.Resolve(directory);
        return new ModelSource(options, weights);
    }

    private static void RequireFile(string path, string what)
    {
        if (Directory.Exists(path)) throw CliException.DataError($"{path}: {what} is a directory, not a file");
        if (!File.Exists(path)) throw CliException.DataError($"{path}: {what} not found");
    }
}
