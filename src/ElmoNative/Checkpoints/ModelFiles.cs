namespace ElmoNative.Checkpoints;

/// <summary>File names of a model directory.</summary>
public static class ModelFiles
{
    /// <summary>The architecture, as in bilm-tf.</summary>
    public const string OptionsFileName = "options.json";

    /// <summary>The HDF5 weights.</summary>
    public const string WeightsFileName = "weights.hdf5";

    /// <summary>Resolves a model directory to its two files, with a clear error when one is missing.</summary>
    public static (string Options, string Weights) Resolve(string directory)
    {
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{directory}: model directory not found");
        string options = Path.Combine(directory, OptionsFileName);
        string weights = Path.Combine(directory, WeightsFileName);
        if (!File.Exists(options)) throw new FileNotFoundException($"{options}: model directory has no {OptionsFileName}", options);
        if (!File.Exists(weights)) throw new FileNotFoundException($"{weights}: model directory has no {WeightsFileName}", weights);
        return (options, weights);
    }
}
