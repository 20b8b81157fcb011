using System.Globalization;
using ElmoNative.Checkpoints;

namespace ElmoNative.Output;

/// <summary>What <c>EmbeddingShard.Write</c> did.</summary>
/// <param name="Manifest">The shard's manifest (the one found, for a shard already done).</param>
/// <param name="ManifestPath">Where it is.</param>
/// <param name="AlreadyDone">True when the shard was already complete and nothing was done (a rerun).</param>
public sealed record ShardResult(ShardManifest Manifest, string ManifestPath, bool AlreadyDone);

/// <summary>
/// One shard of a sharded <c>elmo embed</c> (docs/scale-out.md): the lines of <see cref="InputShard"/> embedded into
/// <c>DIR/shard-K-of-N.hdf5</c>, whose datasets are named by their global line numbers (and <c>sentence_to_index</c>
/// maps to them), then <c>DIR/shard-K-of-N.manifest.json</c>, written last. Both are written whole or not at all, so
/// a killed shard leaves no partial file (its temporary file is removed by the next write into the folder) and simply
/// runs again from the start; a shard whose manifest says the same work is done is not run again.
/// </summary>
public static class EmbeddingShard
{
    /// <summary>
    /// Embeds shard <paramref name="index"/> of <paramref name="count"/> of <paramref name="inputPath"/> into
    /// <paramref name="directory"/> (created if missing). <paramref name="modelChecksum"/> identifies the model in the
    /// manifest (<see cref="ShardManifest.ModelChecksum"/>). A manifest already there that describes the same input
    /// range, model, options and version, with its file present, makes this a no-op; one of other work is an
    /// <see cref="IOException"/> naming it unless <paramref name="force"/>. Stateless only: a shard cannot carry the
    /// LSTM state of the lines before it.
    /// </summary>
    public static ShardResult Write(ElmoModel model, string inputPath, int index, int count, string directory, string modelChecksum,
                                    EmbeddingFileOptions? options = null, bool force = false, IProgress<EmbeddingFileProgress>? progress = null,
                                    CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Write(() => model, inputPath, index, count, directory, modelChecksum, options, force, progress, cancellation);
    }

    /// <summary>
    /// As <see cref="Write(ElmoModel, string, int, int, string, string, EmbeddingFileOptions?, bool, IProgress{EmbeddingFileProgress}?, CancellationToken)"/>,
    /// with the model obtained from <paramref name="model"/> only when the shard is to be embedded (a rerun of a finished
    /// shard loads nothing).
    /// </summary>
    internal static ShardResult Write(Func<ElmoModel> model, string inputPath, int index, int count, string directory, string modelChecksum,
                                      EmbeddingFileOptions? options, bool force, IProgress<EmbeddingFileProgress>? progress, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(inputPath);
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(modelChecksum);
        options ??= new EmbeddingFileOptions();
        if (options.Stateful) throw new ArgumentException("a shard is embedded stateless: the LSTM state of a stateful run would come from the lines of the shards before it", nameof(options));
        if (options.Layout == EmbeddingFileLayout.SentenceKeys) throw new ArgumentException("a shard's datasets are named by their global line numbers, not by their sentences", nameof(options));

        var shard = InputShard.Locate(inputPath, index, count);
        var planned = new ShardManifest(Path.GetFullPath(inputPath), shard.InputSize, index, count, shard.Start, shard.End, shard.Checksum(inputPath),
            shard.FirstLine, 0, 0, modelChecksum, ShardManifest.OptionsText(options), ShardManifest.CurrentVersion, null, 0);
        Directory.CreateDirectory(directory);
        string baseName = ShardManifest.BaseName(index, count);
        string manifestPath = Path.Combine(directory, baseName + ShardManifest.Suffix);
        string filePath = Path.Combine(directory, baseName + ".hdf5");
        if (File.Exists(manifestPath))
        {
            ShardManifest? found = null;
            try
            {
                found = ShardManifest.Load(manifestPath);
            }
            catch (InvalidDataException e)
            {
                if (!force) throw new InvalidDataException($"{e.Message}; pass --force to replace it", e);
            }
            if (found is not null && found.SameWork(planned) && (found.File is null || IsFileOfSize(Path.Combine(directory, found.File), found.FileSize)))
                return new ShardResult(found, manifestPath, AlreadyDone: true);
            if (found is not null && !found.SameWork(planned) && !force)
            {
                string what = planned.Difference(found) ?? "another byte range or input content";
                throw new IOException($"{manifestPath}: a shard of other work is there ({what}); pass --force to replace it");
            }
            File.Delete(manifestPath); // the file below is replaced: no manifest may vouch for it meanwhile
        }

        var result = new EmbeddingFileProgress(0, 0);
        if (shard.IsEmpty)
        {
            File.Delete(filePath);
        }
        else
        {
            using var lines = shard.OpenLines(inputPath);
            result = EmbeddingFile.Write(model(), lines, write => AtomicFile.Write(filePath, write), options, progress, cancellation, shard.FirstLine);
        }
        cancellation.ThrowIfCancellationRequested();
        var manifest = planned with
        {
            Lines = result.Sentences,
            Tokens = result.Tokens,
            File = shard.IsEmpty ? null : Path.GetFileName(filePath),
            FileSize = shard.IsEmpty ? 0 : new FileInfo(filePath).Length,
        };
        manifest.Save(manifestPath);
        return new ShardResult(manifest, manifestPath, AlreadyDone: false);
    }

    private static bool IsFileOfSize(string path, long size)
    {
        var info = new FileInfo(path);
        return info.Exists && info.Length == size;
    }

    /// <summary>The line range of a manifest as people count lines (1-based, inclusive), for messages.</summary>
    internal static string LineRange(ShardManifest manifest) => manifest.Lines == 0
        ? "no lines"
        : string.Create(CultureInfo.InvariantCulture, $"lines {manifest.FirstLine + 1}-{manifest.FirstLine + manifest.Lines}");
}
