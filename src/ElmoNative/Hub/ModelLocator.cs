using ElmoNative.Checkpoints;

namespace ElmoNative.Hub;

/// <summary>Turns what a user gives as a model (<c>--model X</c>) into its options and weights files.</summary>
public static class ModelLocator
{
    /// <summary>
    /// <paramref name="nameOrDirectory"/> is an existing directory: its two files (<see cref="ModelFiles.Resolve"/>).
    /// Else a published model's name or alias: its files in <paramref name="cache"/>, downloaded first when missing and
    /// <paramref name="download"/> is true. Else a one-line error naming close names and <c>elmo models list</c>.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">Neither a directory nor a known name.</exception>
    /// <exception cref="FileNotFoundException">A known name that is not downloaded, and <paramref name="download"/> is false.</exception>
    /// <exception cref="ModelDownloadException">The download failed.</exception>
    public static async Task<(string Options, string Weights)> ResolveAsync(string nameOrDirectory, ModelRegistry registry, ModelCache cache,
        bool download, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(nameOrDirectory);
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(cache);
        if (Directory.Exists(nameOrDirectory)) return ModelFiles.Resolve(nameOrDirectory);
        if (registry.TryFind(nameOrDirectory, out var model))
        {
            if (!cache.IsComplete(model))
            {
                string folder = cache.DirectoryOf(model);
                if (!download)
                    throw new FileNotFoundException(
                        $"{folder}: model \"{model.Name}\" is not downloaded (run 'elmo models download {model.Name}', or {ModelCache.ByHandHint(model, folder)})",
                        folder);
                await cache.DownloadAsync(model, progress, cancellationToken).ConfigureAwait(false);
            }
            return (cache.PathOf(model, model.Options), cache.PathOf(model, model.Weights));
        }
        if (File.Exists(nameOrDirectory))
            throw new DirectoryNotFoundException($"{nameOrDirectory}: model is a file, not a directory or a published model name");
        var similar = registry.SimilarNames(nameOrDirectory);
        string hint = similar.Count > 0 ? $"did you mean {string.Join(", ", similar)}? " : "";
        throw new DirectoryNotFoundException(
            $"{nameOrDirectory}: no such model directory or published model name ({hint}'elmo models list' shows the names)");
    }
}
