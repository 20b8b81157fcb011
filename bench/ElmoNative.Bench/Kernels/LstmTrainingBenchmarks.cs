// The training LSTM cell at a training batch's size (128 rows x 512 units): the forward pass that keeps what the
// backward pass needs, and the backward pass; plus the Adagrad update of a 1M-parameter block.
using BenchmarkDotNet.Attributes;
using ElmoNative.Kernels;

namespace ElmoNative.Bench.Kernels;

/// <summary>LstmCellTraining forward and backward, and AdagradUpdate.</summary>
public class LstmTrainingBenchmarks
{
    private const int Rows = 128;
    private const int Hidden = 512;
    private readonly float[] preActivations = Random(Rows * 4 * Hidden, 3f);
    private readonly float[] gates = new float[Rows * 4 * Hidden];
    private readonly float[] cellPrevious = Random(Rows * Hidden, 1f);
    private readonly float[] cell = new float[Rows * Hidden];
    private readonly float[] tanhCell = new float[Rows * Hidden];
    private readonly float[] output = new float[Rows * Hidden];
    private readonly float[] outputGradient = Random(Rows * Hidden, 1f);
    private readonly float[] cellGradient = Random(Rows * Hidden, 1f);
    private readonly float[] gateGradient = new float[Rows * 4 * Hidden];
    private readonly float[] parameters = Random(1 << 20, 1f);
    private readonly float[] accumulators = Random(1 << 20, 1f).Select(v => 1f + v * v).ToArray();
    private readonly float[] gradient = Random(1 << 20, 0.01f);

    private static float[] Random(int length, float scale)
    {
        var random = new Random(length);
        return Enumerable.Range(0, length).Select(_ => (random.NextSingle() * 2f - 1f) * scale).ToArray();
    }

    /// <summary>The forward pass (gates copied in first, as the pre-activations are overwritten).</summary>
    [Benchmark]
    public void Forward()
    {
        preActivations.CopyTo(gates, 0);
        LstmCellTraining.Forward(gates, cellPrevious, cell, tanhCell, output, Rows, Hidden, 1f, 3f);
    }

    /// <summary>The backward pass.</summary>
    [Benchmark]
    public void Backward()
    {
        LstmCellTraining.Backward(gates, cellPrevious, cell, tanhCell, outputGradient, cellGradient, gateGradient, Rows, Hidden, 3f);
    }

    /// <summary>Adagrad over 1M parameters.</summary>
    [Benchmark]
    public void Adagrad() => AdagradUpdate.Apply(parameters, accumulators, gradient, 1e-6f);
}
