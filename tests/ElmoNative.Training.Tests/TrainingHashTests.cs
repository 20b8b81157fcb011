using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using ElmoNative.Kernels;
using Xunit.Abstractions;

namespace ElmoNative.Training.Tests;

/// <summary>
/// Pins the exact bits of today's training, per SIMD variant: the losses of 4 windows and every parameter afterwards
/// (dropout, sampled softmax, Adagrad, clipping all on) must stay bit for bit through a refactoring that claims
/// "behaviour unchanged". Run with ELMONATIVE_SIMD=scalar|256|512 for each variant, and with
/// DOTNET_EnableAVX512=0 for 256-bit hardware; ELMONATIVE_PRINT_HASHES=1 prints
/// without checking (say in the commit why the numerics changed).
/// </summary>
public class TrainingHashTests(ITestOutputHelper output)
{
    // Keyed by the kernel variant and by whether the hardware runs Vector512: the sampled softmax, Adagrad and dropout
    // use TensorPrimitives, whose width follows the hardware (DOTNET_EnableAVX512=0 turns it down to 256 bits), not
    // ELMONATIVE_SIMD. Recorded before the issue-9 refactoring; re-recorded for issue 10 point 4, when FastMath's tanh
    // changed its rounding (docs/accuracy.md); the 256-bit-hardware entries recorded with DOTNET_EnableAVX512=0.
    private static readonly Dictionary<(SimdVariant Kernels, bool Hardware512), string> Expected = new()
    {
        [(SimdVariant.Scalar, true)] = "514A67B51C34AFB1D6E0D4A687FCFE03665426FDBA982192F20273BFD8344A1C",
        [(SimdVariant.Vector256, true)] = "6E266FD81E27B0EFDC0B7F6DAFDA8E30AB5CB3E2FD72ED8313F75C7BCD98CF5C",
        [(SimdVariant.Vector512, true)] = "6E266FD81E27B0EFDC0B7F6DAFDA8E30AB5CB3E2FD72ED8313F75C7BCD98CF5C",
        [(SimdVariant.Scalar, false)] = "2E2C8279F0BA4A37F23B0EAF38A83EED69AA661279390983EAAE5B0B012751C4",
        [(SimdVariant.Vector256, false)] = "9ABD9242E0E146F0578A5931F39905C8B3EB4E04EDFC9744E5F0E61307C18F09",
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
        var key = (SimdDispatch.Current, Vector512.IsHardwareAccelerated);
        output.WriteLine($"[(SimdVariant.{key.Current}, {(key.IsHardwareAccelerated ? "true" : "false")})] = \"{actual}\"");
        if (Environment.GetEnvironmentVariable("ELMONATIVE_PRINT_HASHES") == "1") return;
        Assert.True(Expected.TryGetValue(key, out string? expected), $"no pinned hash for {key}: {actual}");
        Assert.Equal(expected, actual);
    }
}
