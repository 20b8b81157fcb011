// Accuracy of the vectorised exp / sigmoid / tanh against double-precision math over a wide range,
// saturation without NaN or overflow at large |x|, NaN propagation, and bit-identical results between
// the Vector512, Vector256 and scalar forms.

namespace ElmoNative.Kernels.Tests;

public class FastMathTests
{
    private static float[] WideInputs()
    {
        var values = new List<float>();
        for (float x = -120f; x <= 120f; x += 0.0137f) values.Add(x);
        var random = new Random(3);
        for (int i = 0; i < 20000; i++) values.Add((random.NextSingle() * 2f - 1f) * MathF.Pow(10f, random.NextSingle() * 4f - 3f));
        values.AddRange([0f, -0f, 1e-30f, -1e-30f, 1e-7f, 0.4f, -0.4f, 0.39999998f, 87.3f, -87.3f, 88f, -88f, 89f, -89f, 1e30f, -1e30f,
            float.MaxValue, float.MinValue, float.PositiveInfinity, float.NegativeInfinity]);
        return values.ToArray();
    }

    private static double UlpsBetween(float actual, double expected)
    {
        float e = (float)expected;
        double ulp = Math.Max(MathF.BitIncrement(MathF.Abs(e)) - MathF.Abs(e), float.Epsilon);
        return Math.Abs(actual - expected) / ulp;
    }

    [Theory]
    [MemberData(nameof(TestData.VariantData), MemberType = typeof(TestData))]
    public void ExpIsWithinTwoUlpsOverTheNormalRange(string variantName)
    {
        SimdVariant variant = TestData.Variant(variantName);
        float[] x = WideInputs();
        float[] y = new float[x.Length];
        Activations.Exp(KernelSet.For(variant), x, y);
        for (int i = 0; i < x.Length; i++)
        {
            double expected = Math.Exp(x[i]);
            if (x[i] < FastMath.ExpLow) Assert.Equal(0f, y[i]);
            else if (x[i] > FastMath.ExpHigh) Assert.Equal(MathF.Exp(FastMath.ExpHigh), y[i], 1e-6f * MathF.Exp(FastMath.ExpHigh));
            else Assert.True(UlpsBetween(y[i], expected) <= 2.0, $"{variant} exp({x[i]:R}) = {y[i]:R}, expected {expected:R} ({UlpsBetween(y[i], expected):F2} ulp)");
        }
    }

    [Theory]
    [MemberData(nameof(TestData.VariantData), MemberType = typeof(TestData))]
    public void SigmoidAndTanhAreAccurateAndSaturate(string variantName)
    {
        SimdVariant variant = TestData.Variant(variantName);
        float[] x = WideInputs();
        float[] s = new float[x.Length], t = new float[x.Length];
        Activations.Sigmoid(KernelSet.For(variant), x, s);
        Activations.Tanh(KernelSet.For(variant), x, t);
        for (int i = 0; i < x.Length; i++)
        {
            double es = 1.0 / (1.0 + Math.Exp(-(double)x[i]));
            double et = Math.Tanh(x[i]);
            Assert.True(float.IsFinite(s[i]) && s[i] >= 0f && s[i] <= 1f, $"sigmoid({x[i]}) = {s[i]}");
            Assert.True(float.IsFinite(t[i]) && t[i] >= -1f && t[i] <= 1f, $"tanh({x[i]}) = {t[i]}");
            Assert.True(Math.Abs(s[i] - es) <= 2e-7 * Math.Max(es, 1e-30) + 1e-38 || UlpsBetween(s[i], es) <= 3, $"{variant} sigmoid({x[i]:R}) = {s[i]:R}, expected {es:R}");
            Assert.True(UlpsBetween(t[i], et) <= 3, $"{variant} tanh({x[i]:R}) = {t[i]:R}, expected {et:R} ({UlpsBetween(t[i], et):F2} ulp)");
        }
    }

    [Theory]
    [MemberData(nameof(TestData.VariantData), MemberType = typeof(TestData))]
    public void NaNPropagates(string variantName)
    {
        SimdVariant variant = TestData.Variant(variantName);
        float[] x = Enumerable.Repeat(float.NaN, 19).ToArray();
        float[] y = new float[x.Length];
        Activations.Exp(KernelSet.For(variant), x, y);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
        Activations.Sigmoid(KernelSet.For(variant), x, y);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
        Activations.Tanh(KernelSet.For(variant), x, y);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void AllVariantsAgreeBitForBit()
    {
        float[] x = WideInputs();
        float[] reference = new float[x.Length], other = new float[x.Length];
        foreach (var (name, apply) in new (string, Action<SimdVariant, float[], float[]>)[]
        {
            ("exp", (v, i, o) => Activations.Exp(KernelSet.For(v), i, o)),
            ("sigmoid", (v, i, o) => Activations.Sigmoid(KernelSet.For(v), i, o)),
            ("tanh", (v, i, o) => Activations.Tanh(KernelSet.For(v), i, o)),
        })
        {
            apply(SimdVariant.Scalar, x, reference);
            foreach (SimdVariant variant in TestData.Variants)
            {
                apply(variant, x, other);
                TestData.AssertBitIdentical(reference, other, $"{name} {variant}");
            }
        }
    }
}
