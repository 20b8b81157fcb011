namespace ElmoNative.Hub;

/// <summary>
/// The download cache of published models: one folder per model, named after it, under <see cref="Root"/>.
/// <para>
/// Root: the constructor's argument, else <c>$ELMONATIVE_HOME</c>, else <c>$XDG_CACHE_HOME/elmonative</c> (when that
/// variable holds an absolute path), else <c>~/.cache/elmonative</c>. A file is downloaded to <c>NAME.partial</c> (resumed
/// with an HTTP Range request when it exists), checked (length, SHA-256) and only then renamed to its name; its digest
/// is recorded beside it in <c>NAME.sha256</c> (the <c>sha256sum</c> format) and compared by <see cref="IsComplete"/>.
/// docs/models.md has the details and how to fill the cache by hand when offline.
/// </para>
/// </summary>
public sealed class ModelCache
{
    /// <summary>Environment variable naming the cache root.</summary>
    public const string HomeVariable = "ELMONATIVE_HOME";

    /// <summary>Suffix of a download in progress (kept on failure or cancellation, resumed by the next download).</summary>
    public const string PartialSuffix = ".partial";

    /// <summary>Suffix of the file recording a downloaded file's SHA-256 digest.</summary>
    public const string ChecksumSuffix = ".sha256";

    /// <summary>The default <see cref="Timeout"/>: 60 seconds.</summary>
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    private TimeSpan timeout = DefaultTimeout;

    /// <summary>A cache at <paramref name="root"/>, or at the default place (see the class remarks) when null.</summary>
    public ModelCache(string? root = null) =>
        Root = Path.GetFullPath(string.IsNullOrEmpty(root) ? DefaultRoot(Environment.GetEnvironmentVariable) : root);

    /// <summary>The folder holding one sub-folder per model.</summary>
    public string Root { get; }

    /// <summary>
    /// How long a download waits for the server (to connect, to answer, for each next block of bytes) before it fails
    /// with a timeout error. Default 60 seconds.
    /// </summary>
    public TimeSpan Timeout
    {
        get => timeout;
        set => timeout = value > TimeSpan.Zero || value == System.Threading.Timeout.InfiniteTimeSpan
            ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, "the timeout must be positive");
    }

    /// <summary>
    /// The default root: <c>$ELMONATIVE_HOME</c>, else <c>$XDG_CACHE_HOME/elmonative</c> (absolute paths only, as the XDG
    /// specification says), else <c>~/.cache/elmonative</c>. <paramref name="environment"/> reads a variable.
    /// </summary>
    public static string DefaultRoot(Func<string, string?> environment)
    {
        string? home = environment(HomeVariable);
        if (!string.IsNullOrEmpty(home)) return home;
        string? xdg = environment("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathFullyQualified(xdg)) return Path.Combine(xdg, "elmonative");
        return Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "elmonative");
    }

    /// <summary>The model's folder: <c>Root/NAME</c>.</summary>
    public string DirectoryOf(PublishedModel model) => Path.Combine(Root, model.Name);

    /// <summary>Where one of the model's files is (or will be) in the cache.</summary>
    public string PathOf(PublishedModel model, ModelFileInfo file) => Path.Combine(DirectoryOf(model), file.FileName);

    /// <summary>
    /// Whether both files are in the cache and intact: each exists, has the registry's length when known, and its SHA-256
    /// equals the registry's digest when known, else the digest recorded at its download (files put there by hand with
    /// neither count as complete). Digests are computed once per process for a given file length and write time.
    /// </summary>
    public bool IsComplete(PublishedModel model) =>
        model.Files.All(f => CachedFile.Check(PathOf(model, f), f) == CachedFileState.Complete);

    /// <summary>
    /// Downloads the files of <paramref name="model"/> that are missing or damaged and returns its folder. A model
    /// already complete costs no network request. Progress is reported per file; cancellation keeps the
    /// <c>.partial</c> file for the next call to resume.
    /// </summary>
    /// <exception cref="ModelDownloadException">A download failed (one line naming the URL; for network failures also
    /// the folder and the file names to put there by hand).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<string> DownloadAsync(PublishedModel model, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        string folder = DirectoryOf(model);
        if (IsComplete(model))
        {
            RecordDigests(model); // of files put there by hand, so that later damage is noticed
            return folder;
        }
        Directory.CreateDirectory(folder);
        var downloader = new FileDownloader(model, folder, Timeout, progress);
        try
        {
            foreach (var file in model.Files)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await downloader.DownloadAsync(file, cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            DeleteIfEmpty(folder); // a failure before any byte arrived leaves no empty folder behind
            throw;
        }
        return folder;
    }

    private void RecordDigests(PublishedModel model)
    {
        foreach (var file in model.Files)
        {
            string path = PathOf(model, file);
            if (CachedFile.ReadRecord(path) is null) CachedFile.WriteRecord(path, CachedFile.DigestOf(path));
        }
    }

    /// <summary>The hint added to network errors: which files to put where by hand.</summary>
    internal static string ByHandHint(PublishedModel model, string folder) =>
        $"to install it by hand, put {model.Options.FileName} and {model.Weights.FileName} in {folder}";

    private static void DeleteIfEmpty(string folder)
    {
        try
        {
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any()) Directory.Delete(folder);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
