using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElmoNative.Checkpoints;

namespace ElmoNative.Training;

/// <summary>
/// Reads and writes <see cref="TrainingOptions"/> as bilm-tf's training <c>options.json</c> (the dictionary of
/// <c>bin/train_elmo.py</c>, which bilm-tf's <c>train</c> saves): the model keys of docs/model.md section 1 (<c>lstm</c>,
/// <c>char_cnn</c>) plus <c>n_tokens_vocab</c>, <c>batch_size</c>, <c>unroll_steps</c>, <c>n_epochs</c>,
/// <c>dropout</c>, <c>all_clip_norm_val</c>, <c>n_negative_samples_batch</c>, <c>bidirectional</c> and
/// <c>n_train_tokens</c>. Training files say <c>char_cnn.n_characters: 261</c> (the 261 rows of <c>char_embed</c>);
/// like bilm-tf when it writes the inference options, the model read here says 262 (the padding row added at load).
/// Two keys bilm-tf hard-codes may be given too: <c>learning_rate</c> (0.2) and <c>initial_accumulator_value</c>
/// (1.0). Other keys are ignored, as bilm-tf ignores them.
/// </summary>
public static class TrainingOptionsFile
{
    /// <summary>The file name the trainer's checkpoints and <c>elmo train</c> use for the training options.</summary>
    public const string FileName = "train_options.json";

    /// <summary>Reads a training options file; errors (<see cref="FormatException"/>) name the file and the key.</summary>
    public static TrainingOptions Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileNotFoundException($"{path}: cannot read training options file ({e.Message})", path, e);
        }
        return Parse(text, path);
    }

    /// <summary>Parses the JSON text of a training options file; <paramref name="source"/> names it in errors.</summary>
    public static TrainingOptions Parse(string json, string source = "train_options.json")
    {
        ElmoOptions model = ElmoOptions.Parse(json, source);
        var root = (JsonObject)JsonNode.Parse(json)!; // ElmoOptions.Parse checked that it is a JSON object
        if (ReadOptionalBool(root["bidirectional"], source, "bidirectional") == false)
            throw new FormatException($"{source}: \"bidirectional\" must be true (ElmoNative trains biLMs only)");
        var defaults = new TrainingOptions { Model = model, VocabularySize = 1 };
        var options = new TrainingOptions
        {
            // Inference form: the 261 learned rows plus the zero padding row (docs/model.md section 2).
            Model = model with { CharacterCount = 262 },
            VocabularySize = ReadInt(root["n_tokens_vocab"], source, "n_tokens_vocab", min: 4, required: true)!.Value,
            BatchSize = ReadInt(root["batch_size"], source, "batch_size", min: 1) ?? defaults.BatchSize,
            UnrollSteps = ReadInt(root["unroll_steps"], source, "unroll_steps", min: 1) ?? defaults.UnrollSteps,
            Epochs = ReadInt(root["n_epochs"], source, "n_epochs", min: 1) ?? defaults.Epochs,
            TrainTokens = ReadLong(root["n_train_tokens"], source, "n_train_tokens"),
            Dropout = ReadFloat(root["dropout"], source, "dropout", d => d is >= 0 and < 1, "between 0 (inclusive) and 1 (exclusive)") ?? defaults.Dropout,
            ClipNorm = ReadFloat(root["all_clip_norm_val"], source, "all_clip_norm_val", d => d > 0, "positive") ?? defaults.ClipNorm,
            NegativeSamples = ReadInt(root["n_negative_samples_batch"], source, "n_negative_samples_batch", min: 1) ?? defaults.NegativeSamples,
            LearningRate = ReadFloat(root["learning_rate"], source, "learning_rate", d => d > 0, "positive") ?? defaults.LearningRate,
            InitialAccumulator = ReadFloat(root["initial_accumulator_value"], source, "initial_accumulator_value", d => d > 0, "positive") ?? defaults.InitialAccumulator,
        };
        if (options.NegativeSamples > options.VocabularySize)
            throw new FormatException(string.Create(CultureInfo.InvariantCulture,
                $"{source}: \"n_negative_samples_batch\" ({options.NegativeSamples}) must not exceed \"n_tokens_vocab\" ({options.VocabularySize}): negatives are drawn without replacement"));
        return options;
    }

    /// <summary>
    /// The options as bilm-tf's training <c>options.json</c> (<c>n_characters</c> 261, <c>bidirectional</c> true);
    /// <see cref="Parse"/> reads it back to equal options.
    /// </summary>
    public static string ToJson(TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var root = (JsonObject)JsonNode.Parse(options.Model.ToJson())!;
        root["char_cnn"]!["n_characters"] = 261;
        root["bidirectional"] = true;
        root["n_tokens_vocab"] = options.VocabularySize;
        root["batch_size"] = options.BatchSize;
        root["unroll_steps"] = options.UnrollSteps;
        root["n_epochs"] = options.Epochs;
        if (options.TrainTokens is { } tokens) root["n_train_tokens"] = tokens;
        root["dropout"] = options.Dropout;
        root["all_clip_norm_val"] = options.ClipNorm;
        root["n_negative_samples_batch"] = options.NegativeSamples;
        root["learning_rate"] = options.LearningRate;
        root["initial_accumulator_value"] = options.InitialAccumulator;
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Writes <see cref="ToJson"/> to <paramref name="path"/> through a temporary file.</summary>
    public static void Save(TrainingOptions options, string path) => AtomicFile.WriteAllText(path, ToJson(options));

    /// <summary>
    /// The keys in which <paramref name="actual"/> differs from <paramref name="expected"/>, as
    /// <c>key: expected → actual</c> (empty when they agree). <c>n_epochs</c> and <c>n_train_tokens</c> may change on a
    /// resume (bilm-tf allows it) and are not compared.
    /// </summary>
    public static IReadOnlyList<string> Differences(TrainingOptions expected, TrainingOptions actual)
    {
        var differences = new List<string>();
        void Compare<T>(string key, T a, T b)
        {
            if (!EqualityComparer<T>.Default.Equals(a, b)) differences.Add(string.Create(CultureInfo.InvariantCulture, $"{key}: {a} -> {b}"));
        }
        if (!expected.Model.Equals(actual.Model)) differences.Add($"model: {expected.Model} -> {actual.Model}");
        Compare("n_tokens_vocab", expected.VocabularySize, actual.VocabularySize);
        Compare("batch_size", expected.BatchSize, actual.BatchSize);
        Compare("unroll_steps", expected.UnrollSteps, actual.UnrollSteps);
        Compare("dropout", expected.Dropout, actual.Dropout);
        Compare("all_clip_norm_val", expected.ClipNorm, actual.ClipNorm);
        Compare("n_negative_samples_batch", expected.NegativeSamples, actual.NegativeSamples);
        Compare("learning_rate", expected.LearningRate, actual.LearningRate);
        Compare("initial_accumulator_value", expected.InitialAccumulator, actual.InitialAccumulator);
        return differences;
    }

    private static int? ReadInt(JsonNode? node, string source, string key, int min, bool required = false)
    {
        if (node is null)
        {
            if (required) throw new FormatException($"{source}: missing \"{key}\"");
            return null;
        }
        if (node is JsonValue v && v.TryGetValue(out double d) && d == Math.Floor(d) && d >= min && d <= int.MaxValue) return (int)d;
        throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"{source}: \"{key}\" must be an integer of at least {min} (found {node.ToJsonString()})"));
    }

    private static long? ReadLong(JsonNode? node, string source, string key)
    {
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out double d) && d == Math.Floor(d) && d >= 1 && d <= 9.0e15) return (long)d;
        throw new FormatException($"{source}: \"{key}\" must be a positive integer (found {node.ToJsonString()})");
    }

    private static float? ReadFloat(JsonNode? node, string source, string key, Func<double, bool> valid, string what)
    {
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out double d) && double.IsFinite(d) && valid(d)) return (float)d;
        throw new FormatException($"{source}: \"{key}\" must be a number {what} (found {node.ToJsonString()})");
    }

    private static bool? ReadOptionalBool(JsonNode? node, string source, string key)
    {
        if (node is null) return null;
        if (node is JsonValue v && v.TryGetValue(out bool b)) return b;
        throw new FormatException($"{source}: \"{key}\" must be true or false (found {node.ToJsonString()})");
    }
}
