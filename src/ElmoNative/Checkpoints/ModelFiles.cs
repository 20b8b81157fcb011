using System.Text.Json;

namespace ElmoNative.Checkpoints;

/// <summary>
/// File names of a model directory, and how a directory is resolved to its options and weights files
/// (docs/models.md, "Model folders").
/// </summary>
public static class ModelFiles
{
    /// <summary>The architecture, as in bilm-tf.</summary>
    public const string OptionsFileName = "options.json";

    /// <summary>The HDF5 weights.</summary>
    public const string WeightsFileName = "weights.hdf5";

    /// <summary>The weights file name of bilm-tf's <c>dump_weights</c> and AllenNLP's test fixtures.</summary>
    public const string BilmTfWeightsFileName = "lm_weights.hdf5";

    /// <summary>Largest JSON file read to see whether it is an options file.</summary>
    private const int MaxOptionsFileBytes = ElmoOptions.MaxFileBytes;

    /// <summary>
    /// Resolves a model directory to its two files, trying conventional names before the "exactly one" rule:
    /// options: <c>options.json</c>, else the one <c>*_options.json</c>, else the one <c>*.json</c> holding
    /// <c>lstm</c> and <c>char_cnn</c>; weights: <c>weights.hdf5</c>, else <c>lm_weights.hdf5</c>, else the one
    /// <c>*.hdf5</c> / <c>*.h5</c> whose name contains <c>weights</c>, else the one <c>*.hdf5</c> / <c>*.h5</c>.
    /// Several candidates at the first step that has any is an error listing them; none at all names what is missing.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">No options file, or no weights file.</exception>
    /// <exception cref="InvalidDataException">Several candidates: which one is meant is not clear; or the folder has a
    /// <see cref="CheckpointManifest"/> and one of the two files differs from it.</exception>
    /// <remarks>A checkpoint save cut short in the folder is finished or rolled back first (<see cref="CheckpointFolderSwap.Recover"/>).</remarks>
    public static (string Options, string Weights) Resolve(string directory)
    {
        CheckpointFolderSwap.Recover(directory); // a checkpoint save cut short: finished or rolled back (docs/training.md)
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException(CheckpointFolderSwap.LiveSaver(directory) is int saver
                ? $"{directory}: model directory is being replaced by process {saver} just now; try again"
                : $"{directory}: model directory not found");
        var files = Directory.EnumerateFiles(directory).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToList();
        var (options, weights) = (FindOptions(directory, files), FindWeights(directory, files));
        CheckpointManifest.VerifyIfPresent(directory, options, weights); // a checkpoint folder: the two files it loads are checked
        return (options, weights);
    }

    private static string FindOptions(string directory, List<string> files)
    {
        var json = files.Where(f => HasExtension(f, ".json")).ToList();
        string? found = Pick(directory, "options files", [
            json.Where(f => f == OptionsFileName),
            json.Where(f => f.EndsWith("_" + OptionsFileName, StringComparison.OrdinalIgnoreCase)),
            json.Where(f => IsOptionsFile(Path.Combine(directory, f))),
        ]);
        string expected = Path.Combine(directory, OptionsFileName);
        return found ?? throw new FileNotFoundException(
            $"{expected}: model directory has no {OptionsFileName} (nor a *_{OptionsFileName} or another options JSON)", expected);
    }

    private static string FindWeights(string directory, List<string> files)
    {
        var hdf5 = files.Where(f => HasExtension(f, ".hdf5") || HasExtension(f, ".h5")).ToList();
        string? found = Pick(directory, "weights files", [
            hdf5.Where(f => f == WeightsFileName),
            hdf5.Where(f => f == BilmTfWeightsFileName),
            hdf5.Where(f => f.Contains("weights", StringComparison.OrdinalIgnoreCase)),
            hdf5,
        ]);
        string expected = Path.Combine(directory, WeightsFileName);
        return found ?? throw new FileNotFoundException(
            $"{expected}: model directory has no {WeightsFileName} (nor {BilmTfWeightsFileName}, *weights*.hdf5 or another .hdf5 / .h5 file)", expected);
    }

    /// <summary>The candidate of the first step that has any; several there is an error; null when no step has one.</summary>
    private static string? Pick(string directory, string what, IEnumerable<string>[] steps)
    {
        foreach (var step in steps)
        {
            var candidates = step.ToList();
            if (candidates.Count == 1) return Path.Combine(directory, candidates[0]);
            if (candidates.Count > 1)
                throw new InvalidDataException(
                    $"{directory}: model directory has several {what} ({string.Join(", ", candidates)}); keep one, or give --options and --weights");
        }
        return null;
    }

    private static bool HasExtension(string file, string extension) =>
        string.Equals(Path.GetExtension(file), extension, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether a JSON file is an ELMo options file: an object with <c>lstm</c> and <c>char_cnn</c>.</summary>
    private static bool IsOptionsFile(string path)
    {
        try
        {
            // Only a regular file is read (a FIFO named *.json would block), and at most MaxOptionsFileBytes of it.
            using var document = JsonDocument.Parse(RegularFile.ReadAllBytes(path, "options file", MaxOptionsFileBytes));
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object && root.TryGetProperty("lstm", out _) && root.TryGetProperty("char_cnn", out _);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException or InvalidDataException)
        {
            return false;
        }
    }
}
