using System.Security.Cryptography;

namespace ElmoNative.Training.Tagging;

/// <summary>
/// The ELMo model a tagger was trained on: where it was found, the SHA-256 of its weights file, and its shape. A tagger
/// is used only with the same weights (<see cref="PosTagger.RequireModel"/>).
/// </summary>
/// <param name="Source">The model as it was given (a folder, a published name, or the weights file's path).</param>
/// <param name="WeightsSha256">Lower-case hex SHA-256 of the weights file.</param>
/// <param name="Layers">The model's layer count (L + 1).</param>
/// <param name="Dim">Floats per layer.</param>
public sealed record TaggerModelReference(string Source, string WeightsSha256, int Layers, int Dim)
{
    /// <summary>The reference of a model loaded from <paramref name="weightsPath"/> (the file is hashed).</summary>
    public static TaggerModelReference Of(string source, string weightsPath, int layers, int dim) =>
        new(source, Sha256(weightsPath), layers, dim);

    /// <summary>Lower-case hex SHA-256 of a file.</summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
