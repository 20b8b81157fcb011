// The element-wise half of an LSTM step, fused into one pass: each block of units reads its four gate
// pre-activations and the old cell once, and writes the new cell and output once (no temporaries).
// The nonlinearities are FastMath's vectorised sigmoid/tanh; the tail of a row uses their scalar form,
// which gives the same bits as a vector lane, so the result does not depend on where a unit falls.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using ElmoNative.Kernels.Elementwise;

namespace ElmoNative.Kernels;

/// <summary>The element-wise part of one LSTM step, fused in one pass over the gates.</summary>
public static class LstmCell
{
    /// <summary>
    /// For each of <paramref name="rows"/> rows with gate pre-activations z = [i, j, f, o] (4 x hidden wide, row stride 4 x hidden):
    /// c = sigmoid(f + forgetBias) * c + sigmoid(i) * tanh(j); c = clip(c, cellClip); h = sigmoid(o) * tanh(c).
    /// cell and output are [rows, hidden]. Pass float.PositiveInfinity as cellClip for no clipping.
    /// </summary>
    public static void Step(ReadOnlySpan<float> gates, Span<float> cell, Span<float> output, int rows, int hidden,
        float forgetBias, float cellClip)
        => Step(SimdDispatch.Current, gates, cell, output, rows, hidden, forgetBias, cellClip);

    /// <summary>Step on an explicit variant.</summary>
    internal static void Step(SimdVariant variant, ReadOnlySpan<float> gates, Span<float> cell, Span<float> output,
        int rows, int hidden, float forgetBias, float cellClip)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(hidden);
        if (!(cellClip >= 0f)) throw new ArgumentOutOfRangeException(nameof(cellClip), cellClip, "cellClip must be non-negative.");
        long units = (long)rows * hidden;
        if (gates.Length < 4 * units) throw new ArgumentException("gates must hold rows x 4 x hidden values.", nameof(gates));
        if (cell.Length < units) throw new ArgumentException("cell must hold rows x hidden values.", nameof(cell));
        if (output.Length < units) throw new ArgumentException("output must hold rows x hidden values.", nameof(output));

        for (int r = 0; r < rows; r++)
        {
            ref float z = ref Unsafe.Add(ref MemoryMarshal.GetReference(gates), (nint)r * 4 * hidden);
            ref float c = ref Unsafe.Add(ref MemoryMarshal.GetReference(cell), (nint)r * hidden);
            ref float h = ref Unsafe.Add(ref MemoryMarshal.GetReference(output), (nint)r * hidden);
            int u = variant switch
            {
                SimdVariant.Vector512 => Row512(ref z, ref c, ref h, hidden, forgetBias, cellClip),
                SimdVariant.Vector256 => Row256(ref z, ref c, ref h, hidden, forgetBias, cellClip),
                _ => 0,
            };
            for (; u < hidden; u++)
            {
                float i = FastMath.Sigmoid(Unsafe.Add(ref z, u));
                float j = FastMath.Tanh(Unsafe.Add(ref z, hidden + u));
                float f = FastMath.Sigmoid(Unsafe.Add(ref z, 2 * hidden + u) + forgetBias);
                float o = FastMath.Sigmoid(Unsafe.Add(ref z, 3 * hidden + u));
                float cu = MathF.FusedMultiplyAdd(f, Unsafe.Add(ref c, u), i * j);
                cu = MathF.Min(MathF.Max(cu, -cellClip), cellClip);
                Unsafe.Add(ref c, u) = cu;
                Unsafe.Add(ref h, u) = o * FastMath.Tanh(cu);
            }
        }
    }

    /// <summary>Whole 16-unit blocks of one row; returns the units done.</summary>
    private static int Row512(ref float z, ref float c, ref float h, int hidden, float forgetBias, float cellClip)
    {
        Vector512<float> bias = Vector512.Create(forgetBias), hi = Vector512.Create(cellClip), lo = -hi;
        nuint n = (nuint)hidden;
        nuint u = 0;
        for (; u + 16 <= n; u += 16)
        {
            Vector512<float> i = FastMath.Sigmoid(Vector512.LoadUnsafe(ref z, u));
            Vector512<float> j = FastMath.Tanh(Vector512.LoadUnsafe(ref z, n + u));
            Vector512<float> f = FastMath.Sigmoid(Vector512.LoadUnsafe(ref z, 2 * n + u) + bias);
            Vector512<float> o = FastMath.Sigmoid(Vector512.LoadUnsafe(ref z, 3 * n + u));
            Vector512<float> cu = Vector512.FusedMultiplyAdd(f, Vector512.LoadUnsafe(ref c, u), i * j);
            cu = Vector512.Min(Vector512.Max(cu, lo), hi);
            cu.StoreUnsafe(ref c, u);
            (o * FastMath.Tanh(cu)).StoreUnsafe(ref h, u);
        }
        return (int)u;
    }

    /// <summary>Whole 8-unit blocks of one row; returns the units done.</summary>
    private static int Row256(ref float z, ref float c, ref float h, int hidden, float forgetBias, float cellClip)
    {
        Vector256<float> bias = Vector256.Create(forgetBias), hi = Vector256.Create(cellClip), lo = -hi;
        nuint n = (nuint)hidden;
        nuint u = 0;
        for (; u + 8 <= n; u += 8)
        {
            Vector256<float> i = FastMath.Sigmoid(Vector256.LoadUnsafe(ref z, u));
            Vector256<float> j = FastMath.Tanh(Vector256.LoadUnsafe(ref z, n + u));
            Vector256<float> f = FastMath.Sigmoid(Vector256.LoadUnsafe(ref z, 2 * n + u) + bias);
            Vector256<float> o = FastMath.Sigmoid(Vector256.LoadUnsafe(ref z, 3 * n + u));
            Vector256<float> cu = Vector256.FusedMultiplyAdd(f, Vector256.LoadUnsafe(ref c, u), i * j);
            cu = Vector256.Min(Vector256.Max(cu, lo), hi);
            cu.StoreUnsafe(ref c, u);
            (o * FastMath.Tanh(cu)).StoreUnsafe(ref h, u);
        }
        return (int)u;
    }
}
