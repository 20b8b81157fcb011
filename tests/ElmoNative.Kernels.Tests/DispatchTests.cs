// The ELMONATIVE_SIMD setting parser and the variant list the other tests iterate over.
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
    public void MaxThreadsRejectsZero()
        => Assert.Throws<ArgumentOutOfRangeException>(() => KernelSettings.MaxThreads = 0);
}
