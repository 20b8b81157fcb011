using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace ElmoNative.Hub;

/// <summary>
/// The published ELMo models by name: the built-in list (<c>published-models.json</c>, embedded in this library; it lists
/// the models of AllenNLP's ELMo page) plus, optionally, a user registry file in the same format whose entries replace
/// built-in ones of the same name. docs/models.md describes the format.
/// </summary>
public sealed partial class ModelRegistry
{
    /// <summary>Environment variable naming a user registry file (same JSON format as the built-in list).</summary>
    public const string RegistryVariable = "ELMONATIVE_REGISTRY";

    internal const string BuiltInResourceName = "ElmoNative.Hub.published-models.json";
    internal const string BuiltInSource = "built-in published-models.json";

    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    private ModelRegistry(IReadOnlyList<PublishedModel> models) => Models = models;

    /// <summary>Every model, built-in ones first (in the order of the list), then those only the user file has.</summary>
    public IReadOnlyList<PublishedModel> Models { get; }

    /// <summary>
    /// The built-in list plus the user registry file <paramref name="userRegistryPath"/>, else the file named by
    /// <c>$ELMONATIVE_REGISTRY</c> when set. A user entry replaces the built-in entry of the same name.
    /// </summary>
    /// <exception cref="FileNotFoundException">The user file does not exist.</exception>
    /// <exception cref="InvalidDataException">The user file is not a valid registry (one line naming the file and entry).</exception>
    public static ModelRegistry Load(string? userRegistryPath = null)
    {
        var builtIn = ParseModels(ReadBuiltIn(), BuiltInSource, registryFile: null);
        string? path = userRegistryPath;
        if (path is null)
        {
            string? variable = Environment.GetEnvironmentVariable(RegistryVariable);
            if (!string.IsNullOrEmpty(variable)) path = variable;
        }
        if (path is null) return new ModelRegistry(builtIn);

        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new FileNotFoundException($"{path}: registry file not found", path, e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileNotFoundException($"{path}: cannot read registry file ({e.Message})", path, e);
        }
        var user = ParseModels(text, path, registryFile: Path.GetFullPath(path));
        return new ModelRegistry(Merge(builtIn, user));
    }

    /// <summary>Only the built-in list (no user file, whatever the environment says).</summary>
    public static ModelRegistry BuiltIn() => new(ParseModels(ReadBuiltIn(), BuiltInSource, registryFile: null));

    /// <summary>Parses registry JSON text; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Not a valid registry.</exception>
    public static ModelRegistry Parse(string json, string source) => new(ParseModels(json, source, registryFile: null));

    /// <summary>Finds a model by its name or one of its aliases, case-insensitively (names are tried before aliases).</summary>
    public bool TryFind(string name, [NotNullWhen(true)] out PublishedModel? model)
    {
        model = Models.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase))
             ?? Models.FirstOrDefault(m => m.IsNamed(name));
        return model is not null;
    }

    /// <summary>Up to <paramref name="count"/> model names close to <paramref name="name"/> (for "did you mean" hints).</summary>
    public IReadOnlyList<string> SimilarNames(string name, int count = 3)
    {
        string wanted = name.ToLowerInvariant();
        var scored = new List<(string Name, int Distance)>();
        foreach (var model in Models)
        {
            int best = int.MaxValue;
            foreach (string candidate in (IEnumerable<string>)[model.Name, .. model.Aliases])
            {
                string c = candidate.ToLowerInvariant();
                // A name holding what was typed (or held by it) first, then typos: a third of the characters changed at most.
                int distance = c.Contains(wanted, StringComparison.Ordinal) || wanted.Contains(c, StringComparison.Ordinal) ? 0 : EditDistance(c, wanted);
                best = Math.Min(best, distance);
            }
            if (best <= Math.Max(1, wanted.Length / 3)) scored.Add((model.Name, best));
        }
        // A stable sort: equally close names keep the registry's order.
        return scored.OrderBy(s => s.Distance).Take(count).Select(s => s.Name).ToList();
    }

    private static List<PublishedModel> Merge(List<PublishedModel> builtIn, List<PublishedModel> user)
    {
        var merged = new List<PublishedModel>(builtIn.Count + user.Count);
        foreach (var model in builtIn)
            merged.Add(user.FirstOrDefault(u => string.Equals(u.Name, model.Name, StringComparison.OrdinalIgnoreCase)) ?? model);
        foreach (var model in user)
            if (!builtIn.Any(b => string.Equals(b.Name, model.Name, StringComparison.OrdinalIgnoreCase))) merged.Add(model);
        return merged;
    }

    private static string ReadBuiltIn()
    {
        using var stream = typeof(ModelRegistry).Assembly.GetManifestResourceStream(BuiltInResourceName)
            ?? throw new InvalidOperationException($"{BuiltInResourceName}: resource missing from {typeof(ModelRegistry).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static List<PublishedModel> ParseModels(string json, string source, string? registryFile)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, JsonOptions);
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line ? $"line {line + 1}: " : "";
            throw new InvalidDataException($"{source}: {where}not valid JSON ({OneLine(e.Message)})", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"{source}: expected an object with an array \"models\"");
            var result = new List<PublishedModel>();
            int index = 0;
            foreach (var entry in models.EnumerateArray())
            {
                index++;
                var model = ParseModel(entry, new EntryContext(source, index), registryFile);
                if (result.Any(m => string.Equals(m.Name, model.Name, StringComparison.OrdinalIgnoreCase)))
                    throw new InvalidDataException($"{source}: model {index} (\"{model.Name}\"): the name is used twice");
                result.Add(model);
            }
            return result;
        }
    }

    private static PublishedModel ParseModel(JsonElement entry, EntryContext context, string? registryFile)
    {
        if (entry.ValueKind != JsonValueKind.Object) throw context.Error("expected an object");
        string name = RequiredString(entry, "name", context);
        context = context with { Name = name };
        if (!ModelNamePattern().IsMatch(name))
            throw context.Error("\"name\" must be letters, digits, '.', '_' or '-' (it names the cache folder)");
        var options = ParseFile(entry, "options", context);
        var weights = ParseFile(entry, "weights", context);
        if (string.Equals(options.FileName, weights.FileName, StringComparison.Ordinal))
            throw context.Error($"options and weights have the same file name \"{options.FileName}\" (set \"fileName\")");
        return new PublishedModel(name, OptionalString(entry, "description", context) ?? "", options, weights)
        {
            Aliases = OptionalStrings(entry, "aliases", context),
            Language = OptionalString(entry, "language", context),
            TrainingData = OptionalString(entry, "trainingData", context),
            ParametersMillions = OptionalNumber(entry, "parametersMillions", context),
            Contributor = OptionalString(entry, "contributor", context),
            Source = OptionalString(entry, "source", context),
            RegistryFile = registryFile,
        };
    }

    private static ModelFileInfo ParseFile(JsonElement entry, string field, EntryContext context)
    {
        if (!entry.TryGetProperty(field, out var file) || file.ValueKind == JsonValueKind.Null)
            throw context.Error($"missing field \"{field}\"");
        if (file.ValueKind != JsonValueKind.Object) throw context.Error($"\"{field}\" must be an object with \"url\"");
        string urlText = RequiredString(file, "url", context, field + ".");
        if (!Uri.TryCreate(urlText, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            throw context.Error($"\"{field}.url\" must be an absolute http or https URL, not \"{urlText}\"");
        string fileName = OptionalString(file, "fileName", context, field + ".") ?? Uri.UnescapeDataString(url.Segments[^1]);
        if (fileName.Length == 0 || fileName is "." or ".." || fileName.IndexOfAny(['/', '\\']) >= 0 || fileName.EndsWith(ModelCache.PartialSuffix, StringComparison.Ordinal))
            throw context.Error($"\"{field}.fileName\" must be a plain file name, not \"{fileName}\" (the URL's last segment is the default)");
        long? size = null;
        if (file.TryGetProperty("size", out var sizeElement) && sizeElement.ValueKind != JsonValueKind.Null)
        {
            if (sizeElement.ValueKind != JsonValueKind.Number || !sizeElement.TryGetInt64(out long s) || s < 0)
                throw context.Error($"\"{field}.size\" must be a byte count or null");
            size = s;
        }
        string? sha256 = OptionalString(file, "sha256", context, field + ".");
        if (sha256 is not null)
        {
            if (!Sha256Pattern().IsMatch(sha256)) throw context.Error($"\"{field}.sha256\" must be 64 hexadecimal digits or null");
            sha256 = sha256.ToLowerInvariant();
        }
        return new ModelFileInfo(fileName, url, size, sha256);
    }

    private static string RequiredString(JsonElement obj, string field, EntryContext context, string prefix = "") =>
        OptionalString(obj, field, context, prefix) is { Length: > 0 } value ? value : throw context.Error($"missing field \"{prefix}{field}\"");

    private static string? OptionalString(JsonElement obj, string field, EntryContext context, string prefix = "")
    {
        if (!obj.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw context.Error($"\"{prefix}{field}\" must be a string");
    }

    private static double? OptionalNumber(JsonElement obj, string field, EntryContext context)
    {
        if (!obj.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        return value.ValueKind == JsonValueKind.Number ? value.GetDouble() : throw context.Error($"\"{field}\" must be a number or null");
    }

    private static List<string> OptionalStrings(JsonElement obj, string field, EntryContext context)
    {
        if (!obj.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) return [];
        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(v => v.ValueKind != JsonValueKind.String))
            throw context.Error($"\"{field}\" must be an array of strings");
        return value.EnumerateArray().Select(v => v.GetString()!).ToList();
    }

    private static string OneLine(string text) => string.Join(' ', text.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));

    /// <summary>Levenshtein distance (names are short).</summary>
    private static int EditDistance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) previous[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]*$")]
    private static partial Regex ModelNamePattern();

    [GeneratedRegex("^[0-9A-Fa-f]{64}$")]
    private static partial Regex Sha256Pattern();

    /// <summary>Where in the registry file an error is: "file: model 3 ("name"): ...".</summary>
    private readonly record struct EntryContext(string Source, int Index, string? Name = null)
    {
        public InvalidDataException Error(string what) =>
            new($"{Source}: model {Index}{(Name is null ? "" : $" (\"{Name}\")")}: {what}");
    }
}
