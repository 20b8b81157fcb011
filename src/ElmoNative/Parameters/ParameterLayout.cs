using ElmoNative.Checkpoints;

namespace ElmoNative.Parameters;

/// <summary>One named tensor of a <see cref="ParameterLayout"/>: its checkpoint dataset name, shape and place in the block.</summary>
internal sealed record ParameterTensor(string Name, int[] Shape, int Offset, int Length);

/// <summary>
/// The names, shapes and offsets of every trainable tensor of a biLM, in one block of floats: the checkpoint datasets of
/// docs/model.md section 1 (<see cref="CheckpointLayout.Expected"/>) followed by the softmax weights and bias, which inference
/// ignores. Parameters, gradients and Adagrad accumulators are three blocks of this same layout, so the optimizer,
/// checkpointing and gradient checks all iterate by name.
/// </summary>
internal sealed class ParameterLayout
{
    /// <summary>Softmax weights [V, P] (bilm-tf's <c>softmax/W</c>), shared by both directions.</summary>
    public const string SoftmaxWeight = "softmax/W";

    /// <summary>Softmax bias [V] (bilm-tf's <c>softmax/b</c>).</summary>
    public const string SoftmaxBias = "softmax/b";

    private readonly Dictionary<string, ParameterTensor> byName = new(StringComparer.Ordinal);

    public ParameterLayout(ElmoOptions options, int vocabularySize)
    {
        Options = options;
        VocabularySize = vocabularySize;
        var list = new List<ParameterTensor>();
        int offset = 0;
        void Add(string name, int[] shape)
        {
            int length = checked(shape.Aggregate(1, (a, b) => checked(a * b)));
            var t = new ParameterTensor(name, shape, offset, length);
            list.Add(t);
            byName.Add(name, t);
            offset = checked(offset + length);
        }
        foreach (var (name, shape) in CheckpointLayout.Expected(options)) Add(name, shape);
        Add(SoftmaxWeight, [vocabularySize, options.ProjectionDim]);
        Add(SoftmaxBias, [vocabularySize]);
        Tensors = list;
        Size = offset;
    }

    /// <summary>The architecture.</summary>
    public ElmoOptions Options { get; }

    /// <summary>V.</summary>
    public int VocabularySize { get; }

    /// <summary>Every tensor, in checkpoint file order, then the softmax.</summary>
    public IReadOnlyList<ParameterTensor> Tensors { get; }

    /// <summary>Total floats in a block.</summary>
    public int Size { get; }

    /// <summary>The tensor called <paramref name="name"/>.</summary>
    public ParameterTensor this[string name] => byName[name];
}
