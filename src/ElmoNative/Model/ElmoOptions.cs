using System.Globalization;
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

    /// <summary>Checks internal consistency; throws <see cref="FormatException"/> naming the problem.</summary>
    public void Validate(string source = "options")
    {
        void Require(bool ok, string what)
        {
            if (!ok) throw new FormatException($"{source}: {what}");
        }
        Require(CharEmbeddingDim > 0, "char_cnn.embedding.dim must be positive");
        Require(Filters.Count > 0, "char_cnn.filters must not be empty");
        foreach (var f in Filters)
            Require(f.Width > 0 && f.Count > 0 && f.Width <= MaxCharactersPerToken,
                $"filter [{f.Width}, {f.Count}] must have a positive count and a width between 1 and max_characters_per_token ({MaxCharactersPerToken})");
        Require(HighwayLayers >= 0, "char_cnn.n_highway must not be negative");
        Require(MaxCharactersPerToken >= 3, "char_cnn.max_characters_per_token must be at least 3");
        Require(CharacterCount is 261 or 262, "char_cnn.n_characters must be 261 or 262");
        Require(LstmDim > 0 && ProjectionDim > 0, "lstm.dim and lstm.projection_dim must be positive");
        Require(ProjectionDim <= LstmDim, "lstm.projection_dim must not exceed lstm.dim");
        Require(LstmLayers > 0, "lstm.n_layers must be positive");
        Require(CellClip is null || CellClip > 0, "lstm.cell_clip must be positive or null");
        Require(ProjectionClip is null || ProjectionClip > 0, "lstm.proj_clip must be positive or null");
    }

    /// <summary>Reads an <c>options.json</c> file. Errors name the file and the key.</summary>
    public static ElmoOptions Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileNotFoundException($"{path}: cannot read options file ({e.Message})", path, e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses the JSON text of an <c>options.json</c>; <paramref name="source"/> names it in errors.</summary>
    public static ElmoOptions Parse(string json, string source = "options.json")
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{source}: not valid JSON ({e.Message})", e);
        }
        if (root is not JsonObject obj) throw new FormatException($"{source}: expected a JSON object");
        var lstm = obj["lstm"] as JsonObject ?? throw new FormatException($"{source}: missing object \"lstm\"");
        var cnn = obj["char_cnn"] as JsonObject ?? throw new FormatException($"{source}: missing object \"char_cnn\"");
        var embedding = cnn["embedding"] as JsonObject ?? throw new FormatException($"{source}: missing object \"char_cnn.embedding\"");
        var filtersNode = cnn["filters"] as JsonArray ?? throw new FormatException($"{source}: missing array \"char_cnn.filters\"");

        var filters = new List<CharFilter>();
        foreach (var f in filtersNode)
        {
            if (f is not JsonArray pair || pair.Count != 2)
                throw new FormatException($"{source}: each of \"char_cnn.filters\" must be [width, count]");
            filters.Add(new CharFilter(ReadInt(pair[0], source, "char_cnn.filters"), ReadInt(pair[1], source, "char_cnn.filters")));
        }

        string activation = ReadOptionalString(cnn["activation"], source, "char_cnn.activation") ?? "relu";
        var options = new ElmoOptions
        {
            CharEmbeddingDim = ReadInt(embedding["dim"], source, "char_cnn.embedding.dim"),
            Filters = filters,
            HighwayLayers = ReadInt(cnn["n_highway"], source, "char_cnn.n_highway"),
            Activation = activation switch
            {
                "relu" => CharCnnActivation.Relu,
                "tanh" => CharCnnActivation.Tanh,
                _ => throw new FormatException($"{source}: char_cnn.activation must be \"relu\" or \"tanh\", not \"{activation}\""),
            },
            CharacterCount = cnn["n_characters"] is null ? 262 : ReadInt(cnn["n_characters"], source, "char_cnn.n_characters"),
            MaxCharactersPerToken = cnn["max_characters_per_token"] is null ? 50 : ReadInt(cnn["max_characters_per_token"], source, "char_cnn.max_characters_per_token"),
            LstmDim = ReadInt(lstm["dim"], source, "lstm.dim"),
            ProjectionDim = ReadInt(lstm["projection_dim"], source, "lstm.projection_dim"),
            LstmLayers = lstm["n_layers"] is null ? 1 : ReadInt(lstm["n_layers"], source, "lstm.n_layers"),
            CellClip = ReadOptionalFloat(lstm["cell_clip"], source, "lstm.cell_clip"),
            ProjectionClip = ReadOptionalFloat(lstm["proj_clip"], source, "lstm.proj_clip"),
            UseSkipConnections = ReadOptionalBool(lstm["use_skip_connections"], source, "lstm.use_skip_connections") ?? false,
        };
        options.Validate(source);
        return options;
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
        if (node is JsonValue v && v.TryGetValue(out double d) && d == Math.Floor(d) && d is >= int.MinValue and <= int.MaxValue)
            return (int)d;
        throw new FormatException($"{source}: \"{key}\" must be an integer (found {node?.ToJsonString() ?? "nothing"})");
    }

    private static string? ReadOptionalString(JsonNode? node, string source, string key)
    {
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out string? s)) return s;
        throw new FormatException($"{source}: \"{key}\" must be a string (found {node.ToJsonString()})");
    }

    private static bool? ReadOptionalBool(JsonNode? node, string source, string key)
    {
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out bool b)) return b;
        throw new FormatException($"{source}: \"{key}\" must be true or false (found {node.ToJsonString()})");
    }

    private static float? ReadOptionalFloat(JsonNode? node, string source, string key)
    {
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out double d)) return (float)d;
        throw new FormatException($"{source}: \"{key}\" must be a number or null (found {node.ToJsonString()})");
    }

    /// <inheritdoc/>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"char_cnn: E={CharEmbeddingDim}, filters=[{string.Join(", ", Filters.Select(f => $"[{f.Width},{f.Count}]"))}] (F={FilterCount}), highway={HighwayLayers}, activation={Activation.ToString().ToLowerInvariant()}, max_chars={MaxCharactersPerToken}; lstm: H={LstmDim}, P={ProjectionDim}, layers={LstmLayers}, cell_clip={CellClip?.ToString(CultureInfo.InvariantCulture) ?? "none"}, proj_clip={ProjectionClip?.ToString(CultureInfo.InvariantCulture) ?? "none"}, skip={UseSkipConnections}");
}
