using System.Globalization;
using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElmoNative.Checkpoints;

namespace ElmoNative.Output;

/// <summary>
/// The manifest a finished shard of <c>elmo embed --shard</c> writes beside its HDF5 file (docs/scale-out.md): what it
/// read (the input's path and size, its byte range and that range's SHA-256, its global lines), with what (the model's
/// checksum, the options that shape the file, the ElmoNative version) and what it wrote (the file's name and size).
/// It is written last, so a shard with a manifest is complete; <c>elmo merge</c> checks the manifests agree and cover
/// the input exactly once.
/// </summary>
/// <param name="InputPath">The input file's full path.</param>
/// <param name="InputSize">Its size in bytes.</param>
/// <param name="Shard">The shard's index, 0 .. <paramref name="Shards"/> - 1.</param>
/// <param name="Shards">The number of shards.</param>
/// <param name="ByteStart">The shard's first byte.</param>
/// <param name="ByteEnd">The byte after its last line.</param>
/// <param name="RangeSha256">SHA-256 of the bytes <paramref name="ByteStart"/> .. <paramref name="ByteEnd"/>.</param>
/// <param name="FirstLine">The 0-based global number of its first line (its first dataset's name).</param>
/// <param name="Lines">Its lines (datasets); 0 for an empty shard.</param>
/// <param name="Tokens">Their tokens.</param>
/// <param name="ModelSha256">The model's checksum (<see cref="ModelChecksum"/>).</param>
/// <param name="Options">The options that shape the file (<see cref="OptionsText"/>).</param>
/// <param name="Version">The ElmoNative version that wrote it.</param>
/// <param name="File">The HDF5 file's name, in the manifest's folder; null for an empty shard.</param>
/// <param name="FileSize">Its size in bytes (0 without a file).</param>
public sealed record ShardManifest(string InputPath, long InputSize, int Shard, int Shards, long ByteStart, long ByteEnd, string RangeSha256,
                                   long FirstLine, long Lines, long Tokens, string ModelSha256, string Options, string Version, string? File, long FileSize)
{
    /// <summary>The value of the manifest's "format" field.</summary>
    public const string Format = "elmonative-embed-shard/1";

    /// <summary>The ElmoNative version written into manifests (the library's informational version).</summary>
    public static string CurrentVersion { get; } =
        typeof(ShardManifest).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>The base name of shard <paramref name="index"/> of <paramref name="count"/>'s files: <c>shard-00002-of-00004</c>.</summary>
    public static string BaseName(int index, int count) => string.Create(CultureInfo.InvariantCulture, $"shard-{index:D5}-of-{count:D5}");

    /// <summary>The manifest file's suffix: <c>shard-00002-of-00004.manifest.json</c>.</summary>
    public const string Suffix = ".manifest.json";

    /// <summary>
    /// The options of <paramref name="options"/> that decide the file's bytes, as one line (layers, pooling, layout,
    /// longest sentence): shards must agree on it to be merged. The batch size and the regrouping do not change a
    /// stateless file's bytes and are left out.
    /// </summary>
    public static string OptionsText(EmbeddingFileOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.Create(CultureInfo.InvariantCulture,
            $"layers={options.Layers.ToString().ToLowerInvariant()} pool={options.Pooling?.ToString().ToLowerInvariant() ?? "none"} layout={options.Layout} max-sentence-tokens={options.MaxSentenceTokens}");
    }

    /// <summary>SHA-256 over the model's options file and weights file, in that order (64 lower-case hex digits).</summary>
    public static string ModelChecksum(string optionsPath, string weightsPath)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        foreach (string path in new[] { optionsPath, weightsPath })
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            for (int read; (read = stream.Read(buffer, 0, buffer.Length)) > 0;) hash.AppendData(buffer, 0, read);
        }
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    /// <summary>Whether this manifest describes the same work as <paramref name="other"/>: input, range, model, options, version.</summary>
    public bool SameWork(ShardManifest other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return InputPath == other.InputPath && InputSize == other.InputSize && ByteStart == other.ByteStart && ByteEnd == other.ByteEnd
               && RangeSha256 == other.RangeSha256 && FirstLine == other.FirstLine && SameRun(other);
    }

    /// <summary>What every shard of one run shares: input, model, options, version; null when equal, else what differs.</summary>
    public string? Difference(ShardManifest other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (InputPath != other.InputPath) return $"input {other.InputPath}, not {InputPath}";
        if (InputSize != other.InputSize) return string.Create(CultureInfo.InvariantCulture, $"an input of {other.InputSize} bytes, not {InputSize}");
        if (ModelSha256 != other.ModelSha256) return $"model checksum {other.ModelSha256[..12]}..., not {ModelSha256[..12]}...";
        if (Options != other.Options) return $"options '{other.Options}', not '{Options}'";
        if (Version != other.Version) return $"ElmoNative {other.Version}, not {Version}";
        return null;
    }

    private bool SameRun(ShardManifest other) => Difference(other) is null;

    /// <summary>Writes the manifest to <paramref name="path"/> whole or not at all.</summary>
    public void Save(string path)
    {
        var root = new JsonObject
        {
            ["format"] = Format,
            ["input"] = new JsonObject { ["path"] = InputPath, ["size"] = InputSize },
            ["shard"] = Shard,
            ["shards"] = Shards,
            ["bytes"] = new JsonObject { ["start"] = ByteStart, ["end"] = ByteEnd, ["sha256"] = RangeSha256 },
            ["lines"] = new JsonObject { ["first"] = FirstLine, ["last"] = FirstLine + Lines - 1, ["count"] = Lines },
            ["tokens"] = Tokens,
            ["model_sha256"] = ModelSha256,
            ["options"] = Options,
            ["version"] = Version,
            ["file"] = File is null ? null : new JsonObject { ["name"] = File, ["size"] = FileSize },
        };
        AtomicFile.WriteAllText(path, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    }

    /// <summary>Reads the manifest at <paramref name="path"/>; anything but a manifest is an <see cref="InvalidDataException"/> naming it.</summary>
    public static ShardManifest Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(System.IO.File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a shard manifest ({e.Message})", e);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"{path}: shard manifest not found", path, e);
        }
        try
        {
            if ((string?)root?["format"] != Format) throw new InvalidDataException($"{path}: not a shard manifest (format is not {Format})");
            var file = root["file"];
            long count = (long)root["lines"]!["count"]!;
            return new ShardManifest((string)root["input"]!["path"]!, (long)root["input"]!["size"]!, (int)root["shard"]!, (int)root["shards"]!,
                (long)root["bytes"]!["start"]!, (long)root["bytes"]!["end"]!, (string)root["bytes"]!["sha256"]!,
                (long)root["lines"]!["first"]!, count, (long)root["tokens"]!, (string)root["model_sha256"]!, (string)root["options"]!,
                (string)root["version"]!, file is null ? null : (string)file["name"]!, file is null ? 0 : (long)file["size"]!);
        }
        catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: not a shard manifest (a field is missing or of the wrong type)", e);
        }
    }
}
