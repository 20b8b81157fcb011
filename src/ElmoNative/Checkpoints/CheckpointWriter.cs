using PureHDF;

namespace ElmoNative.Checkpoints;

/// <summary>Writes float32 datasets to an HDF5 file, building the group hierarchy from the '/'-separated names.</summary>
public static class CheckpointWriter
{
    /// <summary>Writes every tensor as an uncompressed float32 dataset; atomic (temporary file, then rename).</summary>
    public static void WriteWeights(string path, IEnumerable<CheckpointTensor> tensors)
    {
        var file = new H5File();
        foreach (var t in tensors)
        {
            var parts = t.Name.Split('/');
            H5Group group = file;
            for (int i = 0; i < parts.Length - 1; i++)
            {
                if (!group.TryGetValue(parts[i], out var child))
                {
                    child = new H5Group();
                    group[parts[i]] = child;
                }
                group = child as H5Group ?? throw new ArgumentException($"{t.Name}: '{parts[i]}' is both a dataset and a group");
            }
            group[parts[^1]] = new H5Dataset(t.Data, fileDims: t.Shape.Select(d => (ulong)d).ToArray());
        }
        AtomicFile.Write(path, temp => file.Write(temp));
    }
}
