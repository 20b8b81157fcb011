using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElmoNative.Checkpoints;

namespace ElmoNative.Training.Tagging;

/// <summary>
/// A trained part-of-speech tagger on ELMo features: the tag set, the mix mode, the classifier's parameters and the ELMo
/// model it was trained with. <see cref="Save"/> and <see cref="Load"/> use the tagger file format of docs/tagger.md.
/// </summary>
public sealed class PosTagger
{
    /// <summary>The <c>format</c> field of a tagger file.</summary>
    public const string FormatName = "elmonative-tagger";

    /// <summary>The <c>version</c> field this code writes and reads.</summary>
    public const int FormatVersion = 1;

    /// <summary>A tagger of the given parts (the parameters are kept by reference).</summary>
    public PosTagger(TaggerModelReference model, TagScheme scheme, TagSet tags, LayerMixMode mix, TaggerLayout layout, float[] parameters)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tags);
        ArgumentNullException.ThrowIfNull(layout);
        if (layout.Classes != tags.Count) throw new ArgumentException($"the layout has {layout.Classes} classes, the tag set {tags.Count} tags", nameof(layout));
        Model = model;
        Scheme = scheme;
        Tags = tags;
        Mix = mix;
        Network = new TaggerNetwork(layout, parameters);
    }

    /// <summary>The ELMo model the tagger was trained with.</summary>
    public TaggerModelReference Model { get; }

    /// <summary>How the tags of a tagged file are read.</summary>
    public TagScheme Scheme { get; }

    /// <summary>The tags it predicts.</summary>
    public TagSet Tags { get; }

    /// <summary>The representation the classifier sees.</summary>
    public LayerMixMode Mix { get; }

    /// <summary>The network (shapes and parameters).</summary>
    public TaggerNetwork Network { get; }

    /// <summary>Units of the hidden layer (0: none).</summary>
    public int Hidden => Network.Layout.Hidden;

    /// <summary>
    /// Throws an <see cref="InvalidDataException"/> naming <paramref name="taggerPath"/> when <paramref name="weightsSha256"/>
    /// is not the SHA-256 of the weights the tagger was trained with.
    /// </summary>
    public void RequireModel(string weightsSha256, string modelSource, string taggerPath)
    {
        if (!string.Equals(weightsSha256, Model.WeightsSha256, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{taggerPath}: the tagger was trained on the ELMo model {Model.Source} (weights sha256 {Model.WeightsSha256[..12]}...), "
                + $"not on {modelSource} (sha256 {weightsSha256[..Math.Min(12, weightsSha256.Length)]}...); pass --model {Model.Source}");
    }

    /// <summary>Computes the features the tagger needs for <paramref name="sentences"/> with <paramref name="model"/>.</summary>
    public TokenFeatures Features(ElmoModel model, IReadOnlyList<IReadOnlyList<string>> sentences, IProgress<long>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.LayerCount != Model.Layers || model.Dim != Model.Dim)
            throw new ArgumentException($"the tagger needs a model of {Model.Layers} layers of {Model.Dim}, not {model.LayerCount} of {model.Dim}", nameof(model));
        return TokenFeatures.Compute(model, sentences, Mix, progress: progress, cancellation: cancellation);
    }

    /// <summary>The predicted class index of every token, sentence by sentence.</summary>
    public int[][] Predict(TokenFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var l = Network.Layout;
        if (features.TokenSize != l.Layers * l.Dim)
            throw new ArgumentException($"features of {features.Layers} x {features.Dim} per token, the tagger needs {l.Layers} x {l.Dim}", nameof(features));
        var result = new int[features.Count][];
        const int ChunkTokens = 4096;
        float[] buffer = [];
        var batch = new List<int>();
        int first = 0;
        while (first < features.Count)
        {
            batch.Clear();
            int tokens = 0;
            while (first < features.Count && (batch.Count == 0 || tokens + features.Length(first) <= ChunkTokens))
            {
                tokens += features.Length(first);
                batch.Add(first++);
            }
            features.Gather(batch, ref buffer);
            var logits = Network.Forward(buffer, tokens);
            int row = 0;
            foreach (int s in batch)
            {
                var tags = new int[features.Length(s)];
                for (int t = 0; t < tags.Length; t++, row++)
                {
                    var r = logits.Slice(row * l.Classes, l.Classes);
                    int best = 0;
                    for (int k = 1; k < r.Length; k++) if (r[k] > r[best]) best = k;
                    tags[t] = best;
                }
                result[s] = tags;
            }
        }
        return result;
    }

    /// <summary>The tags of <paramref name="sentences"/> (embedded with <paramref name="model"/>, which must be the tagger's).</summary>
    public string[][] Tag(ElmoModel model, IReadOnlyList<IReadOnlyList<string>> sentences, IProgress<long>? progress = null, CancellationToken cancellation = default)
    {
        var predictions = Predict(Features(model, sentences, progress, cancellation));
        return predictions.Select(p => p.Select(i => Tags.Tags[i]).ToArray()).ToArray();
    }

    /// <summary>Writes the tagger to <paramref name="path"/> whole or not at all (a temporary file renamed at the end).</summary>
    public void Save(string path, JsonObject? training = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var l = Network.Layout;
        var bytes = new byte[Network.Parameters.Length * 4];
        for (int i = 0; i < Network.Parameters.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), Network.Parameters[i]);
        var json = new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = FormatVersion,
            ["model"] = new JsonObject
            {
                ["source"] = Model.Source,
                ["weights_sha256"] = Model.WeightsSha256,
                ["layers"] = Model.Layers,
                ["dim"] = Model.Dim,
            },
            ["tag_scheme"] = TaggedText.SchemeName(Scheme),
            ["tags"] = new JsonArray(Tags.Tags.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
            ["mix"] = MixName(Mix),
            ["hidden"] = l.Hidden,
            ["mix_weights"] = new JsonArray(Network.MixWeights().Select(v => (JsonNode?)JsonValue.Create(v)).ToArray()),
            ["gamma"] = Network.Gamma,
            ["parameter_count"] = Network.Parameters.Length,
            ["parameters"] = Convert.ToBase64String(bytes),
        };
        if (training is not null) json["training"] = training;
        AtomicFile.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    /// <summary>Reads a tagger file; anything missing or inconsistent is an <see cref="InvalidDataException"/> naming the file.</summary>
    public static PosTagger Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) throw new InvalidDataException($"{path}: is a directory, not a tagger file");
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: tagger file not found", path);
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new InvalidDataException("not a JSON object");
            if ((string?)json["format"] != FormatName) throw new InvalidDataException($"'format' is not \"{FormatName}\"");
            if ((int?)json["version"] != FormatVersion) throw new InvalidDataException($"'version' {json["version"]} is not {FormatVersion}");
            var m = json["model"] as JsonObject ?? throw new InvalidDataException("'model' is missing");
            var model = new TaggerModelReference((string?)m["source"] ?? "", (string?)m["weights_sha256"] ?? throw new InvalidDataException("'model.weights_sha256' is missing"),
                (int?)m["layers"] ?? 0, (int?)m["dim"] ?? 0);
            if (!TaggedText.TryParseScheme((string?)json["tag_scheme"] ?? "", out var scheme)) throw new InvalidDataException("'tag_scheme' is not brown, universal or as-written");
            var tags = new TagSet((json["tags"] as JsonArray ?? throw new InvalidDataException("'tags' is missing")).Select(t => (string?)t ?? ""));
            if (!TryParseMix((string?)json["mix"] ?? "", out var mix)) throw new InvalidDataException("'mix' is not learned, top or layer0");
            int hidden = (int?)json["hidden"] ?? 0;
            var layout = new TaggerLayout(TokenFeatures.LayersFor(mix, model.Layers).Length, model.Dim, hidden, tags.Count);
            byte[] bytes = Convert.FromBase64String((string?)json["parameters"] ?? "");
            if (bytes.Length != layout.Size * 4) throw new InvalidDataException($"'parameters' holds {bytes.Length / 4} floats, the shapes need {layout.Size}");
            var parameters = new float[layout.Size];
            for (int i = 0; i < parameters.Length; i++) parameters[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4));
            return new PosTagger(model, scheme, tags, mix, layout, parameters);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException or InvalidDataException)
        {
            throw new InvalidDataException($"{path}: not a valid tagger file ({e.Message})", e);
        }
    }

    /// <summary>The command-line name of a mix mode (learned, top, layer0).</summary>
    public static string MixName(LayerMixMode mix) => mix switch
    {
        LayerMixMode.Learned => "learned",
        LayerMixMode.Top => "top",
        _ => "layer0",
    };

    /// <summary>The mix mode named <paramref name="name"/>, or false.</summary>
    public static bool TryParseMix(string name, out LayerMixMode mix)
    {
        switch (name)
        {
            case "learned": mix = LayerMixMode.Learned; return true;
            case "top": mix = LayerMixMode.Top; return true;
            case "layer0": mix = LayerMixMode.Layer0; return true;
            default: mix = default; return false;
        }
    }
}
