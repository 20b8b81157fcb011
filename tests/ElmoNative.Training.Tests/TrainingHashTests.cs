using System.Runtime.InteropServices;
using System.Security.Cryptography;
using ElmoNative.Kernels;
using Xunit.Abstractions;

namespace ElmoNative.Training.Tests;

/// <summary>
/// Pins the exact bits of today's training, per SIMD variant: the losses of 4 windows and every parameter afterwards
/// (dropout, sampled softmax, Adagrad, clipping all on) must stay bit for bit through a refactoring that claims
/// "behaviour unchanged". Run with ELMONATIVE_SIMD=scalar|256|512 for each variant; ELMONATIVE_PRINT_HASHES=1 prints
/// without checking (say in the commit why the numerics changed).
/// </summary>
public class TrainingHashTests(ITestOutputHelper output)
{
    private static readonly Dictionary<SimdVariant, string> Expected = new()
    {
        // Recorded before the issue-9 refactoring.
        [SimdVariant.Scalar] = "E51073E10B27EB0026F376E693A933679B5CC7F56805D433733FC2933EF93C1D",
        [SimdVariant.Vector256] = "FD062CF8B2B518B9694EEB18B1DF365BFEB3B55025021D92A3E54B70F929BB74",
        [SimdVariant.Vector512] = "FD062CF8B2B518B9694EEB18B1DF365BFEB3B55025021D92A3E54B70F929BB74",
    };

    [Fact]
    public void TrainingIsBitIdenticalToThePinnedHash()
    {
        var options = TrainingTestSupport.Options(
            TrainingTestSupport.TinyModel(highway: 1, cellClip: 3, projectionClip: 3) with { LstmDim = 40, ProjectionDim = 24, Filters = [new(1, 8), new(2, 8), new(3, 16)] },
            vocabulary: 300, batch: 8, steps: 10, samples: 120, dropout: 0.1f);
        var windows = ModelTests.StreamWindows(options, 4, seed: 21).ToList();
        using var trainer = new BiLmTrainer(options, seed: 9);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var window in windows)
        {
            var step = trainer.TrainStep(window);
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes(step.ToString()));
        }
        sha.AppendData(MemoryMarshal.AsBytes(trainer.Parameters.Data));
        string actual = Convert.ToHexString(sha.GetHashAndReset());
        output.WriteLine($"[SimdVariant.{SimdDispatch.Current}] = \"{actual}\"");
        if (Environment.GetEnvironmentVariable("ELMONATIVE_PRINT_HASHES") == "1") return;
        Assert.True(Expected.TryGetValue(SimdDispatch.Current, out string? expected), $"no pinned hash for {SimdDispatch.Current}: {actual}");
        Assert.Equal(expected, actual);
    }
}
