using ElmoNative.Hub;

namespace ElmoNative;

public sealed partial class ElmoModel
{
    /// <summary>
    /// Loads a published model by name (<c>small</c>, <c>medium</c>, <c>original</c>, <c>original-5.5b</c>, <c>pubmed</c>,
    /// ..., see <see cref="ModelRegistry"/> and docs/models.md), downloading it into <paramref name="cache"/> (default:
    /// <see cref="ModelCache(string?)"/>'s default root) first when it is not there yet. The registry is the built-in list
    /// plus the file named by <c>$ELMONATIVE_REGISTRY</c>. A model directory is accepted as well.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">Not a published name (the message lists close names).</exception>
    /// <exception cref="ModelDownloadException">The download failed.</exception>
    public static Task<ElmoModel> LoadPublishedAsync(string name, ModelCache? cache = null, IProgress<DownloadProgress>? progress = null,
                                                     CancellationToken cancellationToken = default) =>
        LoadPublishedAsync(name, ModelRegistry.Load(), cache, progress, cancellationToken);

    /// <summary>As <see cref="LoadPublishedAsync(string, ModelCache?, IProgress{DownloadProgress}?, CancellationToken)"/>, with the given registry.</summary>
    public static async Task<ElmoModel> LoadPublishedAsync(string name, ModelRegistry registry, ModelCache? cache = null,
                                                           IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var (options, weights) = await ModelLocator.ResolveAsync(name, registry, cache ?? new ModelCache(), download: true, progress, cancellationToken)
            .ConfigureAwait(false);
        return Load(options, weights);
    }
}
