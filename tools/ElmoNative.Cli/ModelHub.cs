using ElmoNative.Hub;

namespace ElmoNative.Cli;

/// <summary>Where a published model is in the cache, as <c>elmo models list</c> shows it.</summary>
internal enum CacheStatus
{
    /// <summary>Nothing of it in the cache.</summary>
    NotDownloaded,

    /// <summary>Some of it: one of its files, or a download that stopped (a <c>.partial</c> file, resumed by the next download).</summary>
    Partial,

    /// <summary>Both files.</summary>
    Complete,
}

/// <summary>
/// The published models as a command sees them: the registry (the built-in list plus <c>--registry FILE</c>, else the
/// file named by <c>ELMONATIVE_REGISTRY</c>), the cache (<c>ELMONATIVE_HOME</c>, else <c>$XDG_CACHE_HOME/elmonative</c>,
/// else <c>~/.cache/elmonative</c>) and downloads with a progress bar on stderr. docs/models.md describes all three.
/// </summary>
internal sealed class ModelHub
{
    /// <summary>The option naming a user registry file.</summary>
    public const string RegistryOption = "--registry";

    private readonly CommandContext context;
    private readonly OptionValues args;
    private ModelRegistry? registry;

    private ModelHub(CommandContext context, OptionValues args)
    {
        this.context = context;
        this.args = args;
        Cache = new ModelCache(ModelCache.DefaultRoot(context.Environment));
        string? variable = context.Environment(ModelRegistry.RegistryVariable);
        RegistryPath = args.Value(RegistryOption) ?? (string.IsNullOrEmpty(variable) ? null : variable);
    }

    /// <summary>The models of a command run (the registry is read when first needed; a <c>--registry</c> given is read at once).</summary>
    public static ModelHub Open(CommandContext context, OptionValues args)
    {
        var hub = new ModelHub(context, args);
        if (args.Has(RegistryOption)) _ = hub.Registry; // a file named on the command line is checked even when unused
        return hub;
    }

    /// <summary>Adds <c>--registry FILE</c>.</summary>
    public static void AddRegistryOption(ElmoCommand command) =>
        command.Value(RegistryOption, "FILE", $"user registry of published models (JSON, docs/models.md), added to the built-in list; its entries replace built-in ones of the same name. Default: the file named by {ModelRegistry.RegistryVariable}, if set");

    /// <summary>The download cache.</summary>
    public ModelCache Cache { get; }

    /// <summary>The user registry file in use, or null (the built-in list only).</summary>
    public string? RegistryPath { get; }

    /// <summary>The registry: the built-in list, plus the user file when one is given.</summary>
    public ModelRegistry Registry => registry ??= RegistryPath is null ? ModelRegistry.BuiltIn() : ModelRegistry.Load(RegistryPath);

    /// <summary>The model named <paramref name="name"/> (a name or an alias); an unknown name is a data error with close names.</summary>
    public PublishedModel Find(string name)
    {
        if (Registry.TryFind(name, out var model)) return model;
        var similar = Registry.SimilarNames(name);
        string hint = similar.Count > 0 ? $"did you mean {string.Join(", ", similar)}? " : "";
        throw CliException.DataError($"{name}: no published model of that name ({hint}'elmo models list' shows the names)");
    }

    /// <summary>
    /// Where <paramref name="model"/> is in the cache. Without <paramref name="verify"/>, "complete" means both files are
    /// there (with the registry's length when it states one), which costs no reading; with it, their SHA-256 digests are
    /// checked too (<see cref="ModelCache.IsComplete"/>).
    /// </summary>
    public CacheStatus StatusOf(PublishedModel model, bool verify)
    {
        bool complete = verify
            ? Cache.IsComplete(model)
            : model.Files.All(f => new FileInfo(Cache.PathOf(model, f)) is { Exists: true } info && (f.Size is not long size || info.Length == size));
        if (complete) return CacheStatus.Complete;
        bool any = model.Files.Any(f => File.Exists(Cache.PathOf(model, f)) || File.Exists(Cache.PathOf(model, f) + ModelCache.PartialSuffix));
        return any ? CacheStatus.Partial : CacheStatus.NotDownloaded;
    }

    /// <summary>How a status is written (<c>complete</c>, <c>partial</c>, <c>not downloaded</c>).</summary>
    public static string Describe(CacheStatus status) => status switch
    {
        CacheStatus.Complete => "complete",
        CacheStatus.Partial => "partial",
        _ => "not downloaded",
    };

    /// <summary>
    /// Makes <paramref name="model"/> complete in the cache (resuming a download that stopped; no request when it is
    /// complete already), with a progress bar per file on stderr; returns its folder and the bytes received.
    /// </summary>
    public (string Folder, long BytesReceived) Download(PublishedModel model)
    {
        using var display = new DownloadDisplay(context.Error, context.Progress(args));
        string folder = Cache.DownloadAsync(model, display, context.Cancellation).GetAwaiter().GetResult();
        display.Finish();
        return (folder, display.BytesReceived);
    }

    /// <summary>
    /// The options and weights files of the model named <paramref name="name"/>, downloaded first when the cache does not
    /// hold it whole (<see cref="ModelLocator"/>: a cached model costs no request).
    /// </summary>
    public (string Options, string Weights) Resolve(string name)
    {
        using var display = new DownloadDisplay(context.Error, context.Progress(args));
        var files = ModelLocator.ResolveAsync(name, Registry, Cache, download: true, display, context.Cancellation).GetAwaiter().GetResult();
        display.Finish();
        return files;
    }
}
