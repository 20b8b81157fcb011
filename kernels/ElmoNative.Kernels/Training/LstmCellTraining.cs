// The element-wise half of an LSTM step for training: the forward pass keeps the activated gates, the new cell and
// its tanh, which is exactly what the backward pass needs; the backward pass turns the gradients w.r.t. the step's
// output h and new cell into gradients w.r.t. the gate pre-activations and the previous cell.
//
//   forward:  i = sigmoid(z_i)  j = tanh(z_j)  f = sigmoid(z_f + forgetBias)  o = sigmoid(z_o)
//             c = clip(f * c_prev + i * j, cellClip)      h = o * tanh(c)
//   backward: dc = dc_in + dh * o * (1 - tanh(c)^2), then 0 where the clip engaged (|c| >= cellClip)
//             dz_i = dc j i (1 - i)   dz_j = dc i (1 - j^2)   dz_f = dc c_prev f (1 - f)   dz_o = dh tanh(c) o (1 - o)
//             dc_prev = dc f
// Rows hold the four gate blocks [i, j, f, o], each `hidden` wide (row stride 4 * hidden).
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace ElmoNative.Kernels;

/// <summary>LSTM cell forward (keeping what backward needs) and backward, for training.</summary>
public static class LstmCellTraining
{
    /// <summary>
    /// gates [rows, 4H] holds the pre-activations z = [i, j, f, o] and receives the activated gates.
    /// cellPrevious [rows, H] is read; cell, tanhCell and output (h) [rows, H] are written.
    /// Pass float.PositiveInfinity as cellClip for no clipping.
    /// </summary>
    public static void Forward(Span<float> gates, ReadOnlySpan<float> cellPrevious, Span<float> cell, Span<float> tanhCell,
        Span<float> output, int rows, int hidden, float forgetBias, float cellClip)
    {
        CheckSizes(gates.Length, cellPrevious.Length, cell.Length, tanhCell.Length, output.Length, rows, hidden);
        int units = rows * hidden;
        for (int r = 0; r < rows; r++)
        {
            var z = gates.Slice(r * 4 * hidden, 4 * hidden);
            var zi = z[..hidden];
            var zj = z.Slice(hidden, hidden);
            var zf = z.Slice(2 * hidden, hidden);
            var zo = z.Slice(3 * hidden, hidden);
            Activations.Sigmoid(zi, zi);
            Activations.Tanh(zj, zj);
            TensorPrimitives.Add(zf, forgetBias, zf);
            Activations.Sigmoid(zf, zf);
            Activations.Sigmoid(zo, zo);
            var c = cell.Slice(r * hidden, hidden);
            TensorPrimitives.Multiply(zi, zj, c);
            TensorPrimitives.FusedMultiplyAdd(zf, cellPrevious.Slice(r * hidden, hidden), c, c);
        }
        if (!float.IsPositiveInfinity(cellClip)) Activations.Clip(cell[..units], cellClip);
        Activations.Tanh(cell[..units], tanhCell[..units]);
        for (int r = 0; r < rows; r++)
            TensorPrimitives.Multiply(gates.Slice(r * 4 * hidden + 3 * hidden, hidden), tanhCell.Slice(r * hidden, hidden), output.Slice(r * hidden, hidden));
    }

    /// <summary>
    /// The backward pass of <see cref="Forward"/>. gates, cellPrevious, cell and tanhCell are what Forward left.
    /// outputGradient [rows, H] is dL/dh; cellGradient [rows, H] holds dL/dc from later steps on entry and receives
    /// dL/dc_prev; gateGradient [rows, 4H] receives dL/dz.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> gates, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> cell,
        ReadOnlySpan<float> tanhCell, ReadOnlySpan<float> outputGradient, Span<float> cellGradient, Span<float> gateGradient,
        int rows, int hidden, float cellClip)
    {
        CheckSizes(gates.Length, cellPrevious.Length, cell.Length, tanhCell.Length, outputGradient.Length, rows, hidden);
        if (cellGradient.Length < rows * hidden || gateGradient.Length < rows * 4 * hidden) throw new ArgumentException("Gradient buffers are too small.");
        bool clip = !float.IsPositiveInfinity(cellClip);
        var limit = new Vector<float>(clip ? cellClip : float.MaxValue);
        int w = Vector<float>.Count;
        for (int r = 0; r < rows; r++)
        {
            ref float z = ref Unsafe.Add(ref MemoryMarshal.GetReference(gates), r * 4 * hidden);
            ref float dz = ref Unsafe.Add(ref MemoryMarshal.GetReference(gateGradient), r * 4 * hidden);
            ref float cp = ref Unsafe.Add(ref MemoryMarshal.GetReference(cellPrevious), r * hidden);
            ref float c = ref Unsafe.Add(ref MemoryMarshal.GetReference(cell), r * hidden);
            ref float tc = ref Unsafe.Add(ref MemoryMarshal.GetReference(tanhCell), r * hidden);
            ref float dh = ref Unsafe.Add(ref MemoryMarshal.GetReference(outputGradient), r * hidden);
            ref float dc = ref Unsafe.Add(ref MemoryMarshal.GetReference(cellGradient), r * hidden);
            nuint n = (nuint)hidden, u = 0;
            for (; u + (nuint)w <= n; u += (nuint)w)
            {
                var i = Vector.LoadUnsafe(ref z, u);
                var j = Vector.LoadUnsafe(ref z, n + u);
                var f = Vector.LoadUnsafe(ref z, 2 * n + u);
                var o = Vector.LoadUnsafe(ref z, 3 * n + u);
                var t = Vector.LoadUnsafe(ref tc, u);
                var g = Vector.LoadUnsafe(ref dh, u);
                var one = Vector<float>.One;
                var dcv = Vector.LoadUnsafe(ref dc, u) + g * o * (one - t * t);
                dcv = Vector.ConditionalSelect(Vector.LessThan(Vector.Abs(Vector.LoadUnsafe(ref c, u)), limit), dcv, Vector<float>.Zero);
                (dcv * j * i * (one - i)).StoreUnsafe(ref dz, u);
                (dcv * i * (one - j * j)).StoreUnsafe(ref dz, n + u);
                (dcv * Vector.LoadUnsafe(ref cp, u) * f * (one - f)).StoreUnsafe(ref dz, 2 * n + u);
                (g * t * o * (one - o)).StoreUnsafe(ref dz, 3 * n + u);
                (dcv * f).StoreUnsafe(ref dc, u);
            }
            for (; u < n; u++)
            {
                float i = Unsafe.Add(ref z, u), j = Unsafe.Add(ref z, n + u), f = Unsafe.Add(ref z, 2 * n + u), o = Unsafe.Add(ref z, 3 * n + u);
                float t = Unsafe.Add(ref tc, u), g = Unsafe.Add(ref dh, u);
                float dcs = Unsafe.Add(ref dc, u) + g * o * (1f - t * t);
                if (clip && !(MathF.Abs(Unsafe.Add(ref c, u)) < cellClip)) dcs = 0f;
                Unsafe.Add(ref dz, u) = dcs * j * i * (1f - i);
                Unsafe.Add(ref dz, n + u) = dcs * i * (1f - j * j);
                Unsafe.Add(ref dz, 2 * n + u) = dcs * Unsafe.Add(ref cp, u) * f * (1f - f);
                Unsafe.Add(ref dz, 3 * n + u) = g * t * o * (1f - o);
                Unsafe.Add(ref dc, u) = dcs * f;
            }
        }
    }

    private static void CheckSizes(int gates, int cellPrevious, int cell, int tanhCell, int output, int rows, int hidden)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(hidden);
        long units = (long)rows * hidden;
        if (gates < 4 * units || cellPrevious < units || cell < units || tanhCell < units || output < units)
            throw new ArgumentException("gates must hold rows x 4H values and the cell buffers rows x H.");
    }
}
