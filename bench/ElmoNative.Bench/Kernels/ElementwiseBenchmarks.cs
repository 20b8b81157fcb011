// Small benchmarks of the element-wise kernels at ELMo sizes: the fused LSTM cell for a 32-sentence
// batch (4096 cells), sigmoid / tanh / softmax on 16K values, and the character convolution of a batch
// of words (50 characters x 16 dimensions, 1024 filters of width 7).
using BenchmarkDotNet.Attributes;
using ElmoNative.Kernels;

namespace ElmoNative.Bench.Kernels;

/// <summary>LSTM cell, activations and convolution.</summary>
public class ElementwiseBenchmarks
{
    private const int Batch = 32;
    private const int Hidden = 4096;
    private readonly float[] gates = Random(Batch * 4 * Hidden, 3f);
    private readonly float[] cell = Random(Batch * Hidden, 1f);
    private readonly float[] output = new float[Batch * Hidden];
    private readonly float[] x = Random(16384, 4f);
    private readonly float[] y = new float[16384];

    private static float[] Random(int length, float scale)
    {
        var random = new Random(length);
        return Enumerable.Range(0, length).Select(_ => (random.NextSingle() * 2f - 1f) * scale).ToArray();
    }

    /// <summary>One fused LSTM step, 32 x 4096 cells.</summary>
    [Benchmark]
    public void LstmStep() => LstmCell.Step(gates, cell, output, Batch, Hidden, 1f, 3f);

    private const int BlockRows = 128, BlockUnits = 64, BlockCells = 1024;
    private readonly float[] blockGates = Random(BlockRows * 4 * BlockUnits, 3f);
    private readonly float[] blockCell = Random(BlockRows * BlockCells, 1f);
    private readonly float[] blockOutput = new float[BlockRows * BlockCells];

    /// <summary>
    /// The cell math of one column block as the inference step runs it (LstmWithProjection.RunBlocks): 128 rows of 64
    /// units, gates 4 x 64 wide just written by the block's GEMM, cell and output rows of 1,024 units (small's width).
    /// </summary>
    [Benchmark]
    public void LstmStepBlock() => LstmCell.Step(blockGates, 4 * BlockUnits, blockCell, BlockCells, blockOutput, BlockCells, BlockRows, BlockUnits, 1f, 3f);

    /// <summary>Sigmoid of 16K values.</summary>
    [Benchmark]
    public void Sigmoid() => Activations.Sigmoid(x, y);

    /// <summary>Tanh of 16K values.</summary>
    [Benchmark]
    public void Tanh() => Activations.Tanh(x, y);

    /// <summary>Softmax of 16K values.</summary>
    [Benchmark]
    public void Softmax() => Activations.Softmax(x, y);
}

/// <summary>The character CNN's widest filter bank on a batch of words, folded over a character embedding.</summary>
public sealed class ConvolutionBenchmarks : IDisposable
{
    private const int Words = 320;
    private const int Length = 50;
    private const int Channels = 16;
    private const int Width = 7;
    private const int Filters = 1024;
    private const int Vocabulary = 262;
    private const int PaddingId = 261;
    private int[] ids = [];
    private float[] bias = [];
    private float[] output = [];
    private FoldedConvolution folded = null!;

    /// <summary>Words of 1 to 10 letters (and two marks) from 60 ids, padded to 50; the responses computed in advance.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        var embedding = Enumerable.Range(0, Vocabulary * Channels).Select(_ => random.NextSingle() - 0.5f).ToArray();
        var filter = Enumerable.Range(0, Width * Channels * Filters).Select(_ => random.NextSingle() - 0.5f).ToArray();
        folded = new FoldedConvolution(embedding, Vocabulary, Channels, [new ConvolutionBank(filter, Width, Filters)], Length, PaddingId);
        ids = new int[Words * Length];
        for (int w = 0; w < Words; w++)
        {
            int head = 3 + random.Next(10);
            for (int t = 0; t < Length; t++) ids[w * Length + t] = t < head ? random.Next(60) : PaddingId;
        }
        bias = new float[Filters];
        output = new float[Words * Filters];
        folded.MaxOverTime(ids, Words, bias, output, Filters);
    }

    /// <summary>Frees the responses.</summary>
    [GlobalCleanup]
    public void Dispose() => folded?.Dispose();

    /// <summary>Convolution + max over time of the words' windows (the padding windows through their one sum).</summary>
    [Benchmark]
    public void MaxOverTime() => folded.MaxOverTime(ids, Words, bias, output, Filters);
}
