namespace ElmoNative.Training;

/// <summary>
/// The LSTM state carried from one window to the next, for each direction and layer: m [B, P] and c [B, H]
/// (docs/model.md section 5; truncated backpropagation through time treats it as a constant).
/// </summary>
internal sealed class LstmStates
{
    public LstmStates(int layers, int batch, int projection, int cell)
    {
        Layers = layers;
        Batch = batch;
        Outputs = new float[2][][];
        Cells = new float[2][][];
        for (int d = 0; d < 2; d++)
        {
            Outputs[d] = new float[layers][];
            Cells[d] = new float[layers][];
            for (int l = 0; l < layers; l++)
            {
                Outputs[d][l] = new float[batch * projection];
                Cells[d][l] = new float[batch * cell];
            }
        }
    }

    /// <summary>L.</summary>
    public int Layers { get; }

    /// <summary>B.</summary>
    public int Batch { get; }

    /// <summary>m [direction][layer][B * P].</summary>
    public float[][][] Outputs { get; }

    /// <summary>c [direction][layer][B * H].</summary>
    public float[][][] Cells { get; }

    /// <summary>Back to zeros (the state of the first window).</summary>
    public void Reset()
    {
        for (int d = 0; d < 2; d++)
            for (int l = 0; l < Layers; l++)
            {
                Array.Clear(Outputs[d][l]);
                Array.Clear(Cells[d][l]);
            }
    }
}
