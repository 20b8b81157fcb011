namespace ElmoNative;

/// <summary>The gradients <see cref="ScalarMix.Backward"/> returns for one mixed batch.</summary>
/// <param name="Gamma">dL/dgamma.</param>
/// <param name="Weights">dL/ds_k, one per layer (for weights used as given).</param>
/// <param name="Parameters">dL/dw_k, one per layer, for the parameters w of <see cref="ScalarMix.FromParameters"/> (s = softmax(w)).</param>
public sealed record ScalarMixGradient(float Gamma, IReadOnlyList<float> Weights, IReadOnlyList<float> Parameters);
