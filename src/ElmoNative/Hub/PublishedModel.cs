namespace ElmoNative.Hub;

/// <summary>
/// A published ELMo model: a bilm-tf / AllenNLP options file and HDF5 weights, known by a short name
/// (<c>small</c>, <c>original-5.5b</c>, ...). The list is in <c>published-models.json</c>; docs/models.md describes it.
/// </summary>
/// <param name="Name">The short name users type (also the name of its cache folder).</param>
/// <param name="Description">One line: what the model is.</param>
/// <param name="Options">The options JSON.</param>
/// <param name="Weights">The HDF5 weights.</param>
public sealed record PublishedModel(string Name, string Description, ModelFileInfo Options, ModelFileInfo Weights)
{
    /// <summary>Other names that find the model, e.g. AllenNLP's full name <c>elmo_2x1024_128_2048cnn_1xhighway</c>.</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>The language of the training text (ISO 639-1, e.g. <c>en</c>), or null when not stated.</summary>
    public string? Language { get; init; }

    /// <summary>What the model was trained on, as its source says, or null.</summary>
    public string? TrainingData { get; init; }

    /// <summary>Number of parameters in millions as its source states it (13.6 for <c>small</c>), or null.</summary>
    public double? ParametersMillions { get; init; }

    /// <summary>Who trained and published it.</summary>
    public string? Contributor { get; init; }

    /// <summary>Where the entry comes from (the page listing the model).</summary>
    public string? Source { get; init; }

    /// <summary>The registry file that defined the entry (a user file), or null for the built-in list.</summary>
    public string? RegistryFile { get; init; }

    /// <summary>The options file and then the weights file.</summary>
    public IReadOnlyList<ModelFileInfo> Files => [Options, Weights];

    /// <summary>Whether <paramref name="name"/> is this model's name or one of its aliases (case-insensitive).</summary>
    public bool IsNamed(string name) =>
        string.Equals(Name, name, StringComparison.OrdinalIgnoreCase) ||
        Aliases.Any(a => string.Equals(a, name, StringComparison.OrdinalIgnoreCase));
}
