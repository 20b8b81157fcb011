namespace ElmoNative.Checkpoints;

/// <summary>
/// The dataset names and shapes of a bilm-tf / AllenNLP weights file (docs/model.md section 1), derived from the options.
/// TensorFlow stores every matrix for "x times W" (row vector on the left); we keep that orientation.
/// </summary>
public static class CheckpointLayout
{
    /// <summary>Rows of <c>char_embed</c> as saved: 261 (the all-zero row for id 0 is added at load time).</summary>
    public const int SavedCharacterRows = 261;

    /// <summary>Character embedding [261, E].</summary>
    public const string CharEmbedding = "char_embed";

    /// <summary>Filter bank i [1, width_i, E, n_i].</summary>
    public static string ConvWeight(int i) => $"CNN/W_cnn_{i}";

    /// <summary>Bias of filter bank i [n_i].</summary>
    public static string ConvBias(int i) => $"CNN/b_cnn_{i}";

    /// <summary>Highway layer k, carry gate weight [F, F].</summary>
    public static string HighwayCarryWeight(int k) => $"CNN_high_{k}/W_carry";

    /// <summary>Highway layer k, carry gate bias [F].</summary>
    public static string HighwayCarryBias(int k) => $"CNN_high_{k}/b_carry";

    /// <summary>Highway layer k, transform weight [F, F].</summary>
    public static string HighwayTransformWeight(int k) => $"CNN_high_{k}/W_transform";

    /// <summary>Highway layer k, transform bias [F].</summary>
    public static string HighwayTransformBias(int k) => $"CNN_high_{k}/b_transform";

    /// <summary>Token projection weight [F, P].</summary>
    public const string ProjectionWeight = "CNN_proj/W_proj";

    /// <summary>Token projection bias [P].</summary>
    public const string ProjectionBias = "CNN_proj/b_proj";

    /// <summary>Group of LSTM layer <paramref name="layer"/> in direction <paramref name="direction"/> (0 forward, 1 backward).</summary>
    public static string LstmCell(int direction, int layer) => $"RNN_{direction}/RNN/MultiRNNCell/Cell{layer}/LSTMCell";

    /// <summary>LSTM gate weight [P + P, 4H]: rows for the layer input first, then the previous output.</summary>
    public static string LstmWeight(int direction, int layer) => LstmCell(direction, layer) + "/W_0";

    /// <summary>LSTM gate bias [4H] (the forget bias of 1.0 is NOT included).</summary>
    public static string LstmBias(int direction, int layer) => LstmCell(direction, layer) + "/B";

    /// <summary>LSTM output projection [H, P] (absent when H == P).</summary>
    public static string LstmProjection(int direction, int layer) => LstmCell(direction, layer) + "/W_P_0";

    /// <summary>Every dataset the options call for, with its shape, in file order.</summary>
    public static IReadOnlyList<(string Name, int[] Shape)> Expected(ElmoOptions o)
    {
        int e = o.CharEmbeddingDim, f = o.FilterCount, p = o.ProjectionDim, h = o.LstmDim;
        var list = new List<(string, int[])> { (CharEmbedding, [SavedCharacterRows, e]) };
        for (int i = 0; i < o.Filters.Count; i++)
        {
            list.Add((ConvWeight(i), [1, o.Filters[i].Width, e, o.Filters[i].Count]));
            list.Add((ConvBias(i), [o.Filters[i].Count]));
        }
        for (int k = 0; k < o.HighwayLayers; k++)
        {
            list.Add((HighwayCarryWeight(k), [f, f]));
            list.Add((HighwayCarryBias(k), [f]));
            list.Add((HighwayTransformWeight(k), [f, f]));
            list.Add((HighwayTransformBias(k), [f]));
        }
        if (o.HasTokenProjection)
        {
            list.Add((ProjectionWeight, [f, p]));
            list.Add((ProjectionBias, [p]));
        }
        for (int d = 0; d < 2; d++)
        {
            for (int l = 0; l < o.LstmLayers; l++)
            {
                list.Add((LstmWeight(d, l), [p + p, 4 * h]));
                list.Add((LstmBias(d, l), [4 * h]));
                if (o.HasLstmProjection) list.Add((LstmProjection(d, l), [h, p]));
            }
        }
        return list;
    }
}
