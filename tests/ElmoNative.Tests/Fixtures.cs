using System.Text.Json;
using PureHDF;

namespace ElmoNative.Tests;

/// <summary>
/// Locates the reference fixtures: <c>$ELMONATIVE_FIXTURES</c> if set, else <c>tests/fixtures/</c> of the repository
/// (tests/fixtures/README.md says where each file comes from).
/// </summary>
public static class Fixtures
{
    public const string EnvironmentVariable = "ELMONATIVE_FIXTURES";

    public static string RepositoryRoot { get; } = FindRoot();

    public static string Root
    {
        get
        {
            string? overridden = Environment.GetEnvironmentVariable(EnvironmentVariable);
            string root = string.IsNullOrEmpty(overridden) ? Path.Combine(RepositoryRoot, "tests", "fixtures") : overridden;
            if (!Directory.Exists(root))
                throw new DirectoryNotFoundException($"Test fixtures not found at {root}: set {EnvironmentVariable} to the folder holding allennlp-elmo/, bilm-tf-model/ and bilm-train/.");
            return root;
        }
    }

    public static string Path_(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string AllenNlp(string file) => Path_("allennlp-elmo", file);

    public static string BilmTf(string file) => Path_("bilm-tf-model", file);

    /// <summary>The 3 x 10 sentences of a fixture's sentences file, tokens split on single spaces.</summary>
    public static string[][][] Sentences(string path)
    {
        var lists = JsonSerializer.Deserialize<string[][]>(File.ReadAllText(path))!;
        return lists.Select(l => l.Select(s => s.Split(' ')).ToArray()).ToArray();
    }

    /// <summary>Reads a float32 dataset and its shape.</summary>
    public static (float[] Data, int[] Shape) ReadDataset(string file, string name)
    {
        using var h5 = H5File.OpenRead(file);
        var ds = h5.Dataset(name);
        return (ds.Read<float[]>(), ds.Space.Dimensions.Select(d => (int)d).ToArray());
    }

    /// <summary>
    /// Max abs difference between the top layers of an <c>elmo embed --layers top</c> file whose line 3 i + k is the
    /// AllenNLP fixture's sentence [k][i] (stateful, batches of 3) and the fixture's reference dumps lm_embeddings_k.
    /// </summary>
    public static double TopLayerErrorAgainstAllenNlp(string embedFile, int sentencesPerList)
    {
        double maxError = 0;
        for (int i = 0; i < sentencesPerList; i++)
        {
            for (int k = 0; k < 3; k++)
            {
                var (expected, expectedShape) = ReadDataset(AllenNlp($"lm_embeddings_{k}.hdf5"), i.ToString());
                var (top, shape) = ReadDataset(embedFile, (3 * i + k).ToString());
                int n = expectedShape[1], p = expectedShape[2];
                Assert.Equal([n, 2 * p], shape);
                for (int t = 0; t < n; t++)
                    for (int j = 0; j < p; j++)
                    {
                        maxError = Math.Max(maxError, Math.Abs(expected[t * p + j] - top[t * 2 * p + j]));             // forward
                        maxError = Math.Max(maxError, Math.Abs(expected[(n + t) * p + j] - top[t * 2 * p + p + j]));    // backward
                    }
            }
        }
        return maxError;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ElmoNative.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new DirectoryNotFoundException("ElmoNative.sln not found above " + AppContext.BaseDirectory);
    }
}
