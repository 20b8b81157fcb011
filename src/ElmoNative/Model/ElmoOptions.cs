using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ElmoNative;

/// <summary>Activation applied after the max-over-time of the character convolutions.</summary>
public enum CharCnnActivation
{
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>tanh(x).</summary>
    Tanh,
}

/// <summary>One bank of character convolution filters: its width in characters and its number of filters.</summary>
/// <param name="Width">Filter width w (characters).</param>
/// <param name="Count">Number of filters n.</param>
public readonly record struct CharFilter(int Width, int Count);

/// <summary>
/// The architecture of a biLM, as in the <c>options.json</c> of bilm-tf and AllenNLP (docs/model.md section 1).
/// Legend used in shape comments throughout: E char embedding, F total filters, P projection, H LSTM cell, L LSTM layers.
/// </summary>
public sealed record ElmoOptions
{
    /// <summary>E: width of the character embedding (<c>char_cnn.embedding.dim</c>).</summary>
    public required int CharEmbeddingDim { get; init; }

    /// <summary>The convolution filter banks (<c>char_cnn.filters</c>), in order.</summary>
    public required IReadOnlyList<CharFilter> Filters { get; init; }

    /// <summary>Number of highway layers (<c>char_cnn.n_highway</c>), possibly 0.</summary>
    public required int HighwayLayers { get; init; }

    /// <summary>Activation after max-over-time (<c>char_cnn.activation</c>).</summary>
    public required CharCnnActivation Activation { get; init; }

    /// <summary>Character vocabulary size (<c>char_cnn.n_characters</c>): 262 at inference, 261 in training files.</summary>
    public int CharacterCount { get; init; } = 262;

    /// <summary>Characters per token including the begin/end-of-word marks (<c>max_characters_per_token</c>).</summary>
    public int MaxCharactersPerToken { get; init; } = 50;

    /// <summary>H: LSTM cell size (<c>lstm.dim</c>).</summary>
    public required int LstmDim { get; init; }

    /// <summary>P: projection size (<c>lstm.projection_dim</c>); equal to H means no LSTM projection.</summary>
    public required int ProjectionDim { get; init; }

    /// <summary>L: number of LSTM layers per direction (<c>lstm.n_layers</c>).</summary>
    public int LstmLayers { get; init; } = 1;

    /// <summary>Clip of the LSTM cell (<c>lstm.cell_clip</c>); null means none.</summary>
    public float? CellClip { get; init; }

    /// <summary>Clip of the LSTM projected output (<c>lstm.proj_clip</c>); null means none.</summary>
    public float? ProjectionClip { get; init; }

    /// <summary>Residual connections between LSTM layers (<c>lstm.use_skip_connections</c>).</summary>
    public bool UseSkipConnections { get; init; }

    /// <summary>F: total number of convolution filters, the width of the highway layers.</summary>
    public int FilterCount => Filters.Sum(f => f.Count);

    /// <summary>Whether the LSTM has an output projection (H != P).</summary>
    public bool HasLstmProjection => LstmDim != ProjectionDim;

    /// <summary>Whether the token encoder ends with a projection F -> P (F != P).</summary>
    public bool HasTokenProjection => FilterCount != ProjectionDim;

    /// <summary>Width of one output layer: forward and backward side by side, 2P.</summary>
    public int OutputDim => 2 * ProjectionDim;

    /// <summary>Value equality; the filter banks are compared element by element (a record would compare the list reference).</summary>
    public bool Equals(ElmoOptions? other) =>
        other is not null
        && CharEmbeddingDim == other.CharEmbeddingDim && Filters.SequenceEqual(other.Filters) && HighwayLayers == other.HighwayLayers
        && Activation == other.Activation && CharacterCount == other.CharacterCount && MaxCharactersPerToken == other.MaxCharactersPerToken
        && LstmDim == other.LstmDim && ProjectionDim == other.ProjectionDim && LstmLayers == other.LstmLayers
        && CellClip == other.CellClip && ProjectionClip == other.ProjectionClip && UseSkipConnections == other.UseSkipConnections;

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(CharEmbeddingDim);
        foreach (var f in Filters) hash.Add(f);
        hash.Add(HighwayLayers);
        hash.Add(Activation);
        hash.Add(CharacterCount);
        hash.Add(MaxCharactersPerToken);
        hash.Add(LstmDim);
        hash.Add(ProjectionDim);
        hash.Add(LstmLayers);
        hash.Add(CellClip);
        hash.Add(ProjectionClip);
        hash.Add(UseSkipConnections);
        return hash.ToHashCode();
    }

    /// <summary>Largest <c>options.json</c> read (1 MiB; real ones hold a few hundred bytes).</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>
    /// Largest E, H, P, filter count of a bank and F (65,536; the largest published model has H = 4,096 and F = 2,048):
    /// keeps every shape and index of the layout within 32-bit integers before the weights are looked at.
    /// </summary>
    public const int MaxDimension = 1 << 16;

    /// <summary>Most LSTM layers, highway layers and filter banks (1,000; published models have 2, 2 and 7).</summary>
    public const int MaxLayers = 1000;

    /// <summary>
    /// Largest <c>max_characters_per_token</c> (1,000; every published model uses 50). The weights do not fix it, so it is
    /// bounded here: it sizes the row of character ids of every token and the keys of the token cache.
    /// </summary>
    public const int MaxCharactersLimit = 1000;

    /// <summary>
    /// Checks internal consistency and the bounds above (docs/formats.md, "Checks on load"); throws <see cref="FormatException"/> naming the
    /// option. The counts the weights file fixes are checked against it when it is opened (<c>CheckpointReader</c>).
    /// </summary>
    public void Validate(string source = "options")
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new FormatException($"{source}: {what}");
        }
        Require(Filters is not null, "char_cnn.filters is missing");
        Require(CharEmbeddingDim is > 0 and <= MaxDimension, $"char_cnn.embedding.dim must be between 1 and {MaxDimension} (found {CharEmbeddingDim})");
        Require(Filters!.Count is > 0 and <= MaxLayers, $"char_cnn.filters must hold between 1 and {MaxLayers} banks (found {Filters.Count})");
        Require(MaxCharactersPerToken is >= 3 and <= MaxCharactersLimit,
            $"char_cnn.max_characters_per_token must be between 3 and {MaxCharactersLimit} (found {MaxCharactersPerToken})");
        long total = 0;
        foreach (var f in Filters)
        {
            Require(f.Width > 0 && f.Count is > 0 and <= MaxDimension && f.Width <= MaxCharactersPerToken,
                $"char_cnn.filters: filter [{f.Width}, {f.Count}] must have a count between 1 and {MaxDimension} and a width between 1 and max_characters_per_token ({MaxCharactersPerToken})");
            total += f.Count;
        }
        Require(total <= MaxDimension, $"char_cnn.filters: {total} filters in all, more than {MaxDimension}");
        Require(HighwayLayers is >= 0 and <= MaxLayers, $"char_cnn.n_highway must be between 0 and {MaxLayers} (found {HighwayLayers})");
        Require(CharacterCount is 261 or 262, $"char_cnn.n_characters must be 261 or 262 (found {CharacterCount})");
        Require(LstmDim is > 0 and <= MaxDimension, $"lstm.dim must be between 1 and {MaxDimension} (found {LstmDim})");
        Require(ProjectionDim is > 0 and <= MaxDimension, $"lstm.projection_dim must be between 1 and {MaxDimension} (found {ProjectionDim})");
        Require(ProjectionDim <= LstmDim, "lstm.projection_dim must not exceed lstm.dim");
        Require(LstmLayers is > 0 and <= MaxLayers, $"lstm.n_layers must be between 1 and {MaxLayers} (found {LstmLayers})");
        Require(CellClip is null || CellClip > 0, "lstm.cell_clip must be positive or null");
        Require(ProjectionClip is null || ProjectionClip > 0, "lstm.proj_clip must be positive or null");
    }

    /// <summary>
    /// Reads an <c>options.json</c> file: a regular file of at most <see cref="MaxFileBytes"/> bytes (a FIFO, a device
    /// or a directory is refused before it is read). Errors name the file and the key.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a regular file, too large, or unreadable.</exception>
    /// <exception cref="FormatException">Not valid options (the message names the key).</exception>
    public static ElmoOptions Load(string path)
    {
        byte[] bytes = Checkpoints.RegularFile.ReadAllBytes(path, "options file", MaxFileBytes);
        string text;
        try
        {
            int bom = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble) ? 3 : 0; // as File.ReadAllText, a UTF-8 BOM is skipped
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes, bom, bytes.Length - bom);
        }
        catch (DecoderFallbackException e)
        {
            throw new FormatException($"{path}: not valid JSON (invalid UTF-8: {Checkpoints.ErrorText.OneLine(e.Message)})", e);
        }
        return Parse(text, path);
    }

    /// <summary>
    /// Parses the JSON text of an <c>options.json</c>; <paramref name="source"/> names it in errors. A key given twice
    /// in one object is an error. Required keys (AllenNLP reads them without a default): <c>lstm.dim</c>,
    /// <c>lstm.projection_dim</c>, <c>char_cnn.embedding.dim</c>, <c>char_cnn.filters</c>, <c>char_cnn.n_highway</c>.
    /// <c>lstm.n_layers</c> (1), <c>lstm.use_skip_connections</c> (false), <c>char_cnn.activation</c> (relu),
    /// <c>char_cnn.max_characters_per_token</c> (50) and <c>char_cnn.n_characters</c> (262) may be absent (bilm-tf's
    /// defaults) but not <c>null</c>; <c>null</c> is accepted only for <c>lstm.cell_clip</c> and <c>lstm.proj_clip</c>.
    /// </summary>
    public static ElmoOptions Parse(string json, string source = "options.json")
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? root;
        try
        {
            RejectDuplicateKeys(json, source);
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{source}: not valid JSON ({Checkpoints.ErrorText.OneLine(e.Message)})", e);
        }
        if (root is not JsonObject obj) throw new FormatException($"{source}: expected a JSON object");
        var lstm = RequiredObject(obj, "lstm", "lstm", source);
        var cnn = RequiredObject(obj, "char_cnn", "char_cnn", source);
        var embedding = RequiredObject(cnn, "embedding", "char_cnn.embedding", source);
        var filtersNode = Required(cnn, "filters", "char_cnn.filters", source) as JsonArray
            ?? throw new FormatException($"{source}: \"char_cnn.filters\" must be an array of [width, count] pairs");
        if (filtersNode.Count > MaxLayers)
            throw new FormatException($"{source}: char_cnn.filters must hold between 1 and {MaxLayers} banks (found {filtersNode.Count})");

        var filters = new List<CharFilter>();
        foreach (var f in filtersNode)
        {
            if (f is not JsonArray pair || pair.Count != 2)
                throw new FormatException($"{source}: each of \"char_cnn.filters\" must be [width, count] (found {Shorten(f)})");
            filters.Add(new CharFilter(ReadInt(pair[0], source, "char_cnn.filters"), ReadInt(pair[1], source, "char_cnn.filters")));
        }

        string activation = Optional(cnn, "activation", "char_cnn.activation", source) is { } a ? ReadString(a, source, "char_cnn.activation") : "relu";
        var options = new ElmoOptions
        {
            CharEmbeddingDim = ReadInt(Required(embedding, "dim", "char_cnn.embedding.dim", source), source, "char_cnn.embedding.dim"),
            Filters = filters,
            HighwayLayers = ReadInt(Required(cnn, "n_highway", "char_cnn.n_highway", source), source, "char_cnn.n_highway"),
            Activation = activation switch
            {
                "relu" => CharCnnActivation.Relu,
                "tanh" => CharCnnActivation.Tanh,
                _ => throw new FormatException($"{source}: char_cnn.activation must be \"relu\" or \"tanh\", not \"{Shorten(activation)}\""),
            },
            CharacterCount = Optional(cnn, "n_characters", "char_cnn.n_characters", source) is { } n ? ReadInt(n, source, "char_cnn.n_characters") : 262,
            MaxCharactersPerToken = Optional(cnn, "max_characters_per_token", "char_cnn.max_characters_per_token", source) is { } m
                ? ReadInt(m, source, "char_cnn.max_characters_per_token") : 50,
            LstmDim = ReadInt(Required(lstm, "dim", "lstm.dim", source), source, "lstm.dim"),
            ProjectionDim = ReadInt(Required(lstm, "projection_dim", "lstm.projection_dim", source), source, "lstm.projection_dim"),
            LstmLayers = Optional(lstm, "n_layers", "lstm.n_layers", source) is { } l ? ReadInt(l, source, "lstm.n_layers") : 1,
            CellClip = ReadOptionalFloat(lstm["cell_clip"], source, "lstm.cell_clip"),
            ProjectionClip = ReadOptionalFloat(lstm["proj_clip"], source, "lstm.proj_clip"),
            UseSkipConnections = Optional(lstm, "use_skip_connections", "lstm.use_skip_connections", source) is { } k
                && ReadBool(k, source, "lstm.use_skip_connections"),
        };
        options.Validate(source);
        return options;
    }

    /// <summary>Refuses a key given twice in one JSON object (System.Text.Json would fail on it later, or keep one).</summary>
    private static void RejectDuplicateKeys(string json, string source)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        var scopes = new Stack<(HashSet<string>? Keys, string Path)>(); // Keys is null for an array
        string last = ""; // path of the last key read, for the object or array that may follow it
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    scopes.Push((new HashSet<string>(StringComparer.Ordinal), InArray(scopes, last)));
                    break;
                case JsonTokenType.StartArray:
                    scopes.Push((null, InArray(scopes, last)));
                    break;
                case JsonTokenType.EndObject:
                case JsonTokenType.EndArray:
                    scopes.Pop();
                    break;
                case JsonTokenType.PropertyName:
                    var (keys, path) = scopes.Peek();
                    string name = reader.GetString() ?? "";
                    last = path.Length == 0 ? name : path + "." + name;
                    if (!keys!.Add(name)) throw new FormatException($"{source}: key \"{Shorten(last)}\" is given twice");
                    break;
            }
        }

        // An object or array inside an array is named after the array ("char_cnn.filters[]").
        static string InArray(Stack<(HashSet<string>? Keys, string Path)> scopes, string last) =>
            scopes.Count > 0 && scopes.Peek().Keys is null ? scopes.Peek().Path + "[]" : last;
    }

    private static JsonObject RequiredObject(JsonObject parent, string key, string fullName, string source) =>
        Required(parent, key, fullName, source) as JsonObject ?? throw new FormatException($"{source}: \"{fullName}\" must be an object");

    /// <summary>The value of a key AllenNLP requires: absent or null is an error naming it.</summary>
    private static JsonNode Required(JsonObject parent, string key, string fullName, string source)
    {
        if (!parent.TryGetPropertyValue(key, out var node)) throw new FormatException($"{source}: missing key \"{fullName}\"");
        return node ?? throw new FormatException($"{source}: \"{fullName}\" is null; it must be given");
    }

    /// <summary>The value of a key with a bilm-tf default: absent gives null (take the default), an explicit null is an error.</summary>
    private static JsonNode? Optional(JsonObject parent, string key, string fullName, string source)
    {
        if (!parent.TryGetPropertyValue(key, out var node)) return null;
        return node ?? throw new FormatException($"{source}: \"{fullName}\" is null; give a value, or leave the key out for its default");
    }

    /// <summary>The options as <c>options.json</c> text (inference form, 262 characters).</summary>
    public string ToJson()
    {
        var root = new JsonObject
        {
            ["lstm"] = new JsonObject
            {
                ["dim"] = LstmDim,
                ["projection_dim"] = ProjectionDim,
                ["n_layers"] = LstmLayers,
                ["cell_clip"] = CellClip is { } cc ? JsonValue.Create(cc) : null,
                ["proj_clip"] = ProjectionClip is { } pc ? JsonValue.Create(pc) : null,
                ["use_skip_connections"] = UseSkipConnections,
            },
            ["char_cnn"] = new JsonObject
            {
                ["embedding"] = new JsonObject { ["dim"] = CharEmbeddingDim },
                ["activation"] = Activation == CharCnnActivation.Relu ? "relu" : "tanh",
                ["filters"] = new JsonArray(Filters.Select(f => (JsonNode)new JsonArray(f.Width, f.Count)).ToArray()),
                ["n_highway"] = HighwayLayers,
                ["n_characters"] = CharacterCount,
                ["max_characters_per_token"] = MaxCharactersPerToken,
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static int ReadInt(JsonNode? node, string source, string key)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d) && double.IsFinite(d)
            && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
            return (int)d;
        throw new FormatException($"{source}: \"{key}\" must be an integer (found {Shorten(node)})");
    }

    private static string ReadString(JsonNode node, string source, string key)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) return v.GetValue<string>();
        throw new FormatException($"{source}: \"{key}\" must be a string (found {Shorten(node)})");
    }

    private static bool ReadBool(JsonNode node, string source, string key)
    {
        if (node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False) return v.GetValue<bool>();
        throw new FormatException($"{source}: \"{key}\" must be true or false (found {Shorten(node)})");
    }

    private static float? ReadOptionalFloat(JsonNode? node, string source, string key)
    {
        if (node is null) return null;
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue(out double d) && double.IsFinite(d)) return (float)d;
        throw new FormatException($"{source}: \"{key}\" must be a number or null (found {Shorten(node)})");
    }

    /// <summary>A JSON value (or text) for a message: at most 40 characters of it.</summary>
    private static string Shorten(JsonNode? node) => Shorten(node?.ToJsonString() ?? "null");

    private static string Shorten(string text) => Checkpoints.ErrorText.OneLine(text.Length <= 40 ? text : text[..40] + "...");


    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"char_cnn: E={CharEmbeddingDim}, filters=[{string.Join(", ", Filters.Select(f => $"[{f.Width},{f.Count}]"))}] (F={FilterCount}), highway={HighwayLayers}, activation={Activation.ToString().ToLowerInvariant()}, max_chars={MaxCharactersPerToken}; lstm: H={LstmDim}, P={ProjectionDim}, layers={LstmLayers}, cell_clip={CellClip?.ToString(CultureInfo.InvariantCulture) ?? "none"}, proj_clip={ProjectionClip?.ToString(CultureInfo.InvariantCulture) ?? "none"}, skip={UseSkipConnections}");
}
