using ElmoNative.Checkpoints;

namespace ElmoNative.Parameters;

/// <summary>
/// Where a layer's constructor takes its <see cref="Weight"/>s from, by checkpoint name: a checkpoint for inference
/// (matrices packed as they are read) or the parameter and gradient blocks for training (named views). The layers are
/// written once against this and serve both modes.
/// </summary>
internal abstract class LayerWeights
{
    /// <summary>Whether the weights are trained (views with gradients) rather than packed for inference.</summary>
    public abstract bool Trainable { get; }

    /// <summary>The matrix <paramref name="name"/> [R, C], whole.</summary>
    public abstract Weight Matrix(string name);

    /// <summary>Rows <paramref name="firstRow"/> .. firstRow + rows - 1 of the matrix <paramref name="name"/>.</summary>
    public abstract Weight Matrix(string name, int firstRow, int rows);

    /// <summary>
    /// Inference only: rows <paramref name="firstRow"/> .. firstRow + rows - 1 of the matrix <paramref name="name"/>, packed
    /// with its columns in <paramref name="columnOrder"/> (packed column j is the matrix's column columnOrder[j]).
    /// </summary>
    public abstract Weight Matrix(string name, int firstRow, int rows, int[] columnOrder);

    /// <summary>A tensor the layer reads as values, flat (a bias, a filter, the character embedding), not multiplied by through the GEMM.</summary>
    public abstract Weight Tensor(string name);

    /// <summary>Inference weights of a checkpoint.</summary>
    public static LayerWeights Packed(WeightSource source) => new FromCheckpoint(source);

    /// <summary>Training weights: views of <paramref name="parameters"/>, gradients into <paramref name="gradients"/>.</summary>
    public static LayerWeights Views(ParameterSet parameters, ParameterSet? gradients) => new FromParameters(parameters, gradients);

    private sealed class FromCheckpoint(WeightSource source) : LayerWeights
    {
        public override bool Trainable => false;

        public override Weight Matrix(string name) => Weight.Packed(source.ReadPacked(name));

        public override Weight Matrix(string name, int firstRow, int rows) => Weight.Packed(source.ReadPacked(name, firstRow, rows));

        public override Weight Matrix(string name, int firstRow, int rows, int[] columnOrder) =>
            Weight.Packed(source.ReadPacked(name, firstRow, rows, columnOrder));

        public override Weight Tensor(string name) => Weight.Plain(source.Read(name));
    }

    private sealed class FromParameters(ParameterSet parameters, ParameterSet? gradients) : LayerWeights
    {
        public override bool Trainable => true;

        public override Weight Matrix(string name) => Matrix(name, 0, parameters.Layout[name].Shape[0]);

        public override Weight Matrix(string name, int firstRow, int rows)
        {
            var tensor = parameters.Layout[name];
            return Weight.View(parameters, gradients, tensor, firstRow, rows, tensor.Length / tensor.Shape[0]);
        }

        public override Weight Matrix(string name, int firstRow, int rows, int[] columnOrder) =>
            throw new InvalidOperationException("training weights keep the checkpoint's column order");

        public override Weight Tensor(string name)
        {
            var tensor = parameters.Layout[name];
            return Weight.View(parameters, gradients, tensor, 0, 1, tensor.Length); // read flat, as a checkpoint tensor is
        }
    }
}
