// SGEMM throughput at the model's shapes: the character-CNN / projection sized products (M = 640) and
// one recurrent LSTM step of a 32-sentence batch (M = 32), on 1 and 2 threads; our kernel with B packed
// per call, with B prepacked (how model weights are used), and OpenBLAS as a yardstick when installed.
using BenchmarkDotNet.Attributes;
using ElmoNative.Kernels;

namespace ElmoNative.Bench.Kernels;

/// <summary>C = A B at the ELMo shapes; reports GFLOP/s and the ratio to OpenBLAS.</summary>
[Config(typeof(Config))]
public class SgemmBenchmarks
{
    private float[] a = [];
    private float[] b = [];
    private float[] c = [];
    private PackedMatrix packed = null!;

    /// <summary>The product shapes.</summary>
    public static IEnumerable<GemmShape> Shapes =>
    [
        new(640, 1024, 16384),
        new(640, 2048, 4096),
        new(32, 512, 16384),
        new(32, 1024, 4096),
    ];

    /// <summary>The product shape.</summary>
    [ParamsSource(nameof(Shapes))]
    public GemmShape Shape { get; set; } = new(1, 1, 1);

    /// <summary>Threads for our kernel and for OpenBLAS.</summary>
    [Params(1, 2)]
    public int Threads { get; set; }

    /// <summary>Random operands, packed B, thread settings.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        a = Enumerable.Range(0, Shape.M * Shape.K).Select(_ => random.NextSingle() - 0.5f).ToArray();
        b = Enumerable.Range(0, Shape.K * Shape.N).Select(_ => random.NextSingle() - 0.5f).ToArray();
        c = new float[Shape.M * Shape.N];
        packed = PackedMatrix.Pack(b, Shape.K, Shape.N, Shape.N);
        KernelSettings.MaxThreads = Threads;
        OpenBlas.SetThreadCount(Threads);
    }

    /// <summary>Our SGEMM, packing B on every call.</summary>
    [Benchmark(Baseline = true)]
    public void Ours() => Sgemm.Multiply(Transpose.No, Transpose.No, Shape.M, Shape.N, Shape.K, 1f, a, Shape.K, b, Shape.N, 0f, c, Shape.N);

    /// <summary>Our SGEMM with B prepacked once.</summary>
    [Benchmark]
    public void OursPackedB() => Sgemm.Multiply(Shape.M, a, Shape.K, packed, 0f, c, Shape.N);

    /// <summary>OpenBLAS cblas_sgemm (does nothing when OpenBLAS is not installed; its columns then say n/a).</summary>
    [Benchmark]
    public void OpenBlasSgemm()
    {
        if (OpenBlas.IsAvailable) OpenBlas.Multiply(Shape.M, Shape.N, Shape.K, a, b, c);
    }

    private sealed class Config : BenchmarkDotNet.Configs.ManualConfig
    {
        public Config()
        {
            AddColumn(new GflopsColumn(), new OpenBlasRatioColumn());
        }
    }
}
