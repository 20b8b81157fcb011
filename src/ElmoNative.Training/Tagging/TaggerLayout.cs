namespace ElmoNative.Training.Tagging;

/// <summary>
/// Where each parameter of a tagger lies in its one flat float32 vector (docs/tagger.md, "File format"):
/// <code>
///   mix w [L]   gamma [1]   (hidden: W1 [D, H]   b1 [H])   W [I, C]   b [C]        I = H if there is a hidden layer, else D
/// </code>
/// </summary>
/// <param name="Layers">L: the ELMo layers the classifier sees (1 for a fixed layer).</param>
/// <param name="Dim">D: floats per layer.</param>
/// <param name="Hidden">H: units of the hidden ReLU layer, 0 for none.</param>
/// <param name="Classes">C: number of tags.</param>
public sealed record TaggerLayout(int Layers, int Dim, int Hidden, int Classes)
{
    /// <summary>Offset of the mix parameters w (s = softmax(w)).</summary>
    public static int MixOffset => 0;

    /// <summary>Offset of gamma.</summary>
    public int GammaOffset => Layers;

    /// <summary>Offset of W1 [D, H] (row-major).</summary>
    public int HiddenWeightOffset => Layers + 1;

    /// <summary>Offset of b1 [H].</summary>
    public int HiddenBiasOffset => HiddenWeightOffset + Dim * Hidden;

    /// <summary>Width of the classifier's input (H, or D without a hidden layer).</summary>
    public int ClassifierInput => Hidden > 0 ? Hidden : Dim;

    /// <summary>Offset of W [I, C] (row-major).</summary>
    public int OutputWeightOffset => HiddenBiasOffset + Hidden;

    /// <summary>Offset of b [C].</summary>
    public int OutputBiasOffset => OutputWeightOffset + ClassifierInput * Classes;

    /// <summary>Number of parameters.</summary>
    public int Size => OutputBiasOffset + Classes;
}
