namespace ElmoNative.Checkpoints;

/// <summary>One named float32 dataset of a checkpoint: its HDF5 path, shape and row-major values.</summary>
public sealed class CheckpointTensor
{
    /// <summary>Creates a tensor; <paramref name="data"/> must hold exactly the product of <paramref name="shape"/> values.</summary>
    public CheckpointTensor(string name, int[] shape, float[] data)
    {
        long count = 1;
        foreach (int d in shape) count *= d;
        if (count != data.Length)
            throw new ArgumentException($"{name}: shape ({string.Join(", ", shape)}) holds {count} values but {data.Length} were given");
        Name = name;
        Shape = shape;
        Data = data;
    }

    /// <summary>Dataset path inside the HDF5 file, e.g. <c>CNN/W_cnn_0</c>.</summary>
    public string Name { get; }

    /// <summary>Dimensions, outermost first.</summary>
    public int[] Shape { get; }

    /// <summary>Values in row-major order.</summary>
    public float[] Data { get; }

    /// <summary>Shape as "(a, b, c)", the way h5py prints it.</summary>
    public static string FormatShape(IEnumerable<int> shape) => "(" + string.Join(", ", shape) + ")";
}
