// The ELMONATIVE_SIMD setting parser, the variant list the other tests iterate over, and the kernel sets.
namespace ElmoNative.Kernels.Tests;

public class DispatchTests
{
    [Fact]
    public void SettingsChooseVariantsAndFallBackToTheBest()
    {
        Assert.Equal(SimdVariant.Scalar, SimdDispatch.Choose("scalar"));
        Assert.Equal(SimdDispatch.Best, SimdDispatch.Choose(null));
        Assert.Equal(SimdDispatch.Best, SimdDispatch.Choose("nonsense"));
        Assert.Equal(SimdDispatch.IsSupported(SimdVariant.Vector256) ? SimdVariant.Vector256 : SimdDispatch.Best, SimdDispatch.Choose("256"));
        Assert.Equal(SimdDispatch.IsSupported(SimdVariant.Vector512) ? SimdVariant.Vector512 : SimdDispatch.Best, SimdDispatch.Choose(" 512 "));
        Assert.Contains(SimdVariant.Scalar, SimdDispatch.Supported);
        Assert.Contains(SimdDispatch.Current, SimdDispatch.Supported);
    }

    [Fact]
    public void OneKernelSetPerVariantAndTheCurrentOneIsTheChosenVariant()
    {
        Assert.Equal(SimdDispatch.Current, KernelSet.Current.Variant);
        foreach (SimdVariant variant in Enum.GetValues<SimdVariant>())
            Assert.Equal(variant, KernelSet.For(variant).Variant);
        Assert.Equal(16, KernelSet.For(SimdVariant.Vector512).Nr / 2);
        Assert.Equal(8, KernelSet.For(SimdVariant.Vector256).Nr / 2);
        Assert.Equal(16, Simd512.Count);
        Assert.Equal(8, Simd256.Count);
        Assert.Equal(1, SimdScalar.Count);
    }

    [Fact]
    public void MaxThreadsRejectsZero()
        => Assert.Throws<ArgumentOutOfRangeException>(() => KernelSettings.MaxThreads = 0);
}
