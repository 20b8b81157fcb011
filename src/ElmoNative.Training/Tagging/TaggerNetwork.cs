using System.Numerics.Tensors;
using ElmoNative.Kernels;

namespace ElmoNative.Training.Tagging;

/// <summary>
/// The tagger's network on a batch of N tokens, forward and backward side by side (docs/tagger.md, "Model"):
/// <code>
///   forward                                         backward (dlogits = (p - onehot(y)) / N)
///   s = softmax(w)                                  dW = z^T dlogits     db = sum_rows dlogits    dz = dlogits W^T
///   x = gamma sum_j s_j h_j          [N, D]         (hidden) dz *= [a > 0]   dW1 = x^T dz   db1 = sum_rows dz   dx = dz W1^T
///   (hidden) z = relu(x W1 + b1)     [N, H]         e_j = sum_tokens dx . h_j
///   logits = z W + b                 [N, C]         dgamma = sum_j s_j e_j     ds_j = gamma e_j
///   loss = mean_tokens -log softmax(logits)[y]      dw_j = s_j (ds_j - sum_k s_k ds_k)
/// </code>
/// With one layer (a fixed layer, <see cref="LayerMixMode.Top"/> or <see cref="LayerMixMode.Layer0"/>), x = h_0 and the
/// mix parameters get no gradient. The matrix products run on the project's SGEMM (kernels/ElmoNative.Kernels).
/// Buffers grow to the largest batch seen and are reused.
/// </summary>
public sealed class TaggerNetwork
{
    private float[] x = [], hidden = [], logits = [], dLogits = [], dHidden = [], dx = [];

    /// <summary>A network of <paramref name="layout"/> on <paramref name="parameters"/> (kept by reference, not copied).</summary>
    public TaggerNetwork(TaggerLayout layout, float[] parameters)
    {
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(parameters);
        if (parameters.Length != layout.Size) throw new ArgumentException($"expected {layout.Size} parameters, got {parameters.Length}", nameof(parameters));
        Layout = layout;
        Parameters = parameters;
    }

    /// <summary>The shapes.</summary>
    public TaggerLayout Layout { get; }

    /// <summary>The parameters, laid out as <see cref="Layout"/> says.</summary>
    public float[] Parameters { get; }

    /// <summary>Whether the mix is learned (more than one layer).</summary>
    public bool LearnsMix => Layout.Layers > 1;

    /// <summary>The mixing weights s = softmax(w).</summary>
    public float[] MixWeights()
    {
        var s = new float[Layout.Layers];
        Activations.Softmax(Parameters.AsSpan(TaggerLayout.MixOffset, Layout.Layers), s);
        return s;
    }

    /// <summary>gamma.</summary>
    public float Gamma => Parameters[Layout.GammaOffset];

    /// <summary>
    /// Forward pass on <paramref name="features"/> [N, L, D]: the logits [N, C] (valid until the next call).
    /// </summary>
    public ReadOnlySpan<float> Forward(ReadOnlySpan<float> features, int tokens)
    {
        var l = Layout;
        Grow(tokens);
        var input = Mix(features, tokens);
        var classifierInput = input;
        if (l.Hidden > 0)
        {
            var z = hidden.AsSpan(0, tokens * l.Hidden);
            Sgemm.Multiply(Transpose.No, Transpose.No, tokens, l.Hidden, l.Dim, 1f, input, l.Dim,
                Parameters.AsSpan(l.HiddenWeightOffset, l.Dim * l.Hidden), l.Hidden, 0f, z, l.Hidden);
            Activations.AddRowVector(Parameters.AsSpan(l.HiddenBiasOffset, l.Hidden), z, tokens, l.Hidden);
            Activations.Relu(z, z);
            classifierInput = z;
        }
        var output = logits.AsSpan(0, tokens * l.Classes);
        Sgemm.Multiply(Transpose.No, Transpose.No, tokens, l.Classes, l.ClassifierInput, 1f, classifierInput, l.ClassifierInput,
            Parameters.AsSpan(l.OutputWeightOffset, l.ClassifierInput * l.Classes), l.Classes, 0f, output, l.Classes);
        Activations.AddRowVector(Parameters.AsSpan(l.OutputBiasOffset, l.Classes), output, tokens, l.Classes);
        return output;
    }

    /// <summary>
    /// Forward and backward pass: the mean cross-entropy over the N tokens, and its gradient added into
    /// <paramref name="gradient"/> (laid out as the parameters; the caller clears it).
    /// </summary>
    public double Loss(ReadOnlySpan<float> features, ReadOnlySpan<int> labels, Span<float> gradient)
    {
        var l = Layout;
        int tokens = labels.Length, c = l.Classes;
        if (gradient.Length != l.Size) throw new ArgumentException($"expected {l.Size} gradient values", nameof(gradient));
        var output = Forward(features, tokens);

        // Softmax cross-entropy: dlogits = (p - onehot) / N.
        double loss = 0;
        var dOut = dLogits.AsSpan(0, tokens * c);
        for (int t = 0; t < tokens; t++)
        {
            var row = output.Slice(t * c, c);
            var dRow = dOut.Slice(t * c, c);
            loss += Activations.LogSumExp(row) - row[labels[t]];
            Activations.Softmax(row, dRow);
            dRow[labels[t]] -= 1f;
        }
        VectorOps.Scale(dOut, 1f / tokens);

        // Output layer.
        ReadOnlySpan<float> classifierInput = l.Hidden > 0 ? hidden.AsSpan(0, tokens * l.Hidden) : x.AsSpan(0, tokens * l.Dim);
        Sgemm.Multiply(Transpose.Yes, Transpose.No, l.ClassifierInput, c, tokens, 1f, classifierInput, l.ClassifierInput, dOut, c,
            1f, gradient.Slice(l.OutputWeightOffset, l.ClassifierInput * c), c);
        Gradients.AddColumnSums(dOut, tokens, c, gradient.Slice(l.OutputBiasOffset, c));
        if (!LearnsMix && l.Hidden == 0) return loss / tokens; // nothing below the classifier to train

        var dInput = dx.AsSpan(0, tokens * l.Dim);
        if (l.Hidden > 0)
        {
            var dz = dHidden.AsSpan(0, tokens * l.Hidden);
            Sgemm.Multiply(Transpose.No, Transpose.Yes, tokens, l.Hidden, c, 1f, dOut, c,
                Parameters.AsSpan(l.OutputWeightOffset, l.Hidden * c), c, 0f, dz, l.Hidden);
            Gradients.ReluBackward(hidden.AsSpan(0, tokens * l.Hidden), dz);
            Sgemm.Multiply(Transpose.Yes, Transpose.No, l.Dim, l.Hidden, tokens, 1f, x.AsSpan(0, tokens * l.Dim), l.Dim, dz, l.Hidden,
                1f, gradient.Slice(l.HiddenWeightOffset, l.Dim * l.Hidden), l.Hidden);
            Gradients.AddColumnSums(dz, tokens, l.Hidden, gradient.Slice(l.HiddenBiasOffset, l.Hidden));
            if (!LearnsMix) return loss / tokens;
            Sgemm.Multiply(Transpose.No, Transpose.Yes, tokens, l.Dim, l.Hidden, 1f, dz, l.Hidden,
                Parameters.AsSpan(l.HiddenWeightOffset, l.Dim * l.Hidden), l.Hidden, 0f, dInput, l.Dim);
        }
        else
        {
            Sgemm.Multiply(Transpose.No, Transpose.Yes, tokens, l.Dim, c, 1f, dOut, c,
                Parameters.AsSpan(l.OutputWeightOffset, l.Dim * c), c, 0f, dInput, l.Dim);
        }
        MixBackward(features, tokens, dInput, gradient);
        return loss / tokens;
    }

    /// <summary>x = gamma sum_j s_j h_j (or h_0 alone with one layer), into the buffer x; returns it.</summary>
    private ReadOnlySpan<float> Mix(ReadOnlySpan<float> features, int tokens)
    {
        var l = Layout;
        int size = l.Layers * l.Dim;
        if (features.Length < tokens * size) throw new ArgumentException($"features hold {features.Length} values, {tokens} tokens need {tokens * size}", nameof(features));
        var mixed = x.AsSpan(0, tokens * l.Dim);
        if (!LearnsMix)
        {
            features[..(tokens * l.Dim)].CopyTo(mixed);
            return mixed;
        }
        var s = MixWeights();
        float gamma = Gamma;
        mixed.Clear();
        for (int t = 0; t < tokens; t++)
        {
            var row = mixed.Slice(t * l.Dim, l.Dim);
            for (int j = 0; j < l.Layers; j++) VectorOps.MultiplyAdd(features.Slice(t * size + j * l.Dim, l.Dim), gamma * s[j], row);
        }
        return mixed;
    }

    /// <summary>The mix's gradients from dx [N, D] (see the class summary).</summary>
    private void MixBackward(ReadOnlySpan<float> features, int tokens, ReadOnlySpan<float> dInput, Span<float> gradient)
    {
        var l = Layout;
        int size = l.Layers * l.Dim;
        var s = MixWeights();
        var e = new double[l.Layers];
        for (int t = 0; t < tokens; t++)
        {
            var d = dInput.Slice(t * l.Dim, l.Dim);
            for (int j = 0; j < l.Layers; j++) e[j] += TensorPrimitives.Dot(d, features.Slice(t * size + j * l.Dim, l.Dim));
        }
        double gamma = Gamma, dGamma = 0, weighted = 0;
        for (int j = 0; j < l.Layers; j++)
        {
            dGamma += s[j] * e[j];
            weighted += s[j] * gamma * e[j];
        }
        gradient[l.GammaOffset] += (float)dGamma;
        for (int j = 0; j < l.Layers; j++) gradient[TaggerLayout.MixOffset + j] += (float)(s[j] * (gamma * e[j] - weighted));
    }

    private void Grow(int tokens)
    {
        var l = Layout;
        if (x.Length >= tokens * l.Dim) return;
        int capacity = Math.Max(tokens, x.Length / Math.Max(l.Dim, 1) * 2);
        x = new float[capacity * l.Dim];
        dx = new float[capacity * l.Dim];
        hidden = new float[capacity * l.Hidden];
        dHidden = new float[capacity * l.Hidden];
        logits = new float[capacity * l.Classes];
        dLogits = new float[capacity * l.Classes];
    }
}
