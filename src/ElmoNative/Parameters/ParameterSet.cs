namespace ElmoNative.Parameters;

/// <summary>A block of floats laid out by a <see cref="ParameterLayout"/>, with named views.</summary>
internal sealed class ParameterSet
{
    public ParameterSet(ParameterLayout layout)
    {
        Layout = layout;
        Data = new float[layout.Size];
    }

    /// <summary>The layout.</summary>
    public ParameterLayout Layout { get; }

    /// <summary>All values, tensor after tensor.</summary>
    public float[] Data { get; }

    /// <summary>The values of the tensor called <paramref name="name"/>.</summary>
    public Span<float> this[string name] => View(Layout[name]);

    /// <summary>The values of <paramref name="tensor"/>.</summary>
    public Span<float> View(ParameterTensor tensor) => Data.AsSpan(tensor.Offset, tensor.Length);

    /// <summary>Sets every value to zero.</summary>
    public void Clear() => Array.Clear(Data);
}
