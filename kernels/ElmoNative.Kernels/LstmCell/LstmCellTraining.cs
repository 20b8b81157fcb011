// The element-wise half of an LSTM step for training, forward and backward side by side: the forward pass keeps the
// activated gates, the new cell and its tanh, which is exactly what the backward pass needs; the backward pass turns
// the gradients w.r.t. the step's output h and new cell into gradients w.r.t. the gate pre-activations and the
// previous cell.
//
//   forward:  i = sigmoid(z_i)  j = tanh(z_j)  f = sigmoid(z_f + forgetBias)  o = sigmoid(z_o)
//             c = clip(f * c_prev + i * j, cellClip)      h = o * tanh(c)
//   backward: dc = dc_in + dh * o * (1 - tanh(c)^2), then 0 where the clip engaged (|c| >= cellClip)
//             dz_i = dc j i (1 - i)   dz_j = dc i (1 - j^2)   dz_f = dc c_prev f (1 - f)   dz_o = dh tanh(c) o (1 - o)
//             dc_prev = dc f
// Rows hold the four gate blocks [i, j, f, o], each `hidden` wide (row stride 4 * hidden). Both passes are written once
// on the lanes of the chosen SIMD variant: the backward pass in one sweep over a row, the forward pass in two (the
// gates, then the cell: lighter on registers, and faster, than one; each two vectors abreast, as in LstmCell.cs). The
// forward pass computes each value with the same operations as LstmCell.Step, so training and inference agree bit for
// bit.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ElmoNative.Kernels.Simd;

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
        => Forward(KernelSet.Current, gates, cellPrevious, cell, tanhCell, output, rows, hidden, forgetBias, cellClip);

    /// <summary>
    /// The backward pass of <see cref="Forward(Span{float}, ReadOnlySpan{float}, Span{float}, Span{float}, Span{float}, int, int, float, float)"/>. gates, cellPrevious, cell and tanhCell are what Forward left.
    /// outputGradient [rows, H] is dL/dh; cellGradient [rows, H] holds dL/dc from later steps on entry and receives
    /// dL/dc_prev; gateGradient [rows, 4H] receives dL/dz.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> gates, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> cell,
        ReadOnlySpan<float> tanhCell, ReadOnlySpan<float> outputGradient, Span<float> cellGradient, Span<float> gateGradient,
        int rows, int hidden, float cellClip)
        => Backward(KernelSet.Current, gates, cellPrevious, cell, tanhCell, outputGradient, cellGradient, gateGradient, rows, hidden, cellClip);

    /// <summary>Forward on an explicit kernel set.</summary>
    internal static void Forward(KernelSet kernels, Span<float> gates, ReadOnlySpan<float> cellPrevious, Span<float> cell,
        Span<float> tanhCell, Span<float> output, int rows, int hidden, float forgetBias, float cellClip)
    {
        CheckSizes(gates.Length, cellPrevious.Length, cell.Length, tanhCell.Length, output.Length, rows, hidden);
        kernels.LstmForward(gates, cellPrevious, cell, tanhCell, output, rows, hidden, forgetBias, cellClip);
    }

    /// <summary>Backward on an explicit kernel set.</summary>
    internal static void Backward(KernelSet kernels, ReadOnlySpan<float> gates, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> cell,
        ReadOnlySpan<float> tanhCell, ReadOnlySpan<float> outputGradient, Span<float> cellGradient, Span<float> gateGradient,
        int rows, int hidden, float cellClip)
    {
        CheckSizes(gates.Length, cellPrevious.Length, cell.Length, tanhCell.Length, outputGradient.Length, rows, hidden);
        if ((long)cellGradient.Length < (long)rows * hidden || (long)gateGradient.Length < 4L * rows * hidden)
            throw new ArgumentException("Gradient buffers are too small.");
        kernels.LstmBackward(gates, cellPrevious, cell, tanhCell, outputGradient, cellGradient, gateGradient, rows, hidden, cellClip);
    }

    /// <summary>Forward on the lanes TSimd.</summary>
    internal static void Forward<TSimd, TVec>(Span<float> gates, ReadOnlySpan<float> cellPrevious, Span<float> cell,
        Span<float> tanhCell, Span<float> output, int rows, int hidden, float forgetBias, float cellClip)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec bias = TSimd.Create(forgetBias), low = TSimd.Create(-cellClip), high = TSimd.Create(cellClip);
        VectorPair<TVec> pairBias = new(bias, bias), pairLow = new(low, low), pairHigh = new(high, high);
        for (int r = 0; r < rows; r++)
        {
            ref float z = ref Unsafe.Add(ref MemoryMarshal.GetReference(gates), (nint)r * 4 * hidden);
            ref float cp = ref Unsafe.Add(ref MemoryMarshal.GetReference(cellPrevious), (nint)r * hidden);
            ref float c = ref Unsafe.Add(ref MemoryMarshal.GetReference(cell), (nint)r * hidden);
            ref float tc = ref Unsafe.Add(ref MemoryMarshal.GetReference(tanhCell), (nint)r * hidden);
            ref float h = ref Unsafe.Add(ref MemoryMarshal.GetReference(output), (nint)r * hidden);
            // Two passes over the row (the gates, then the cell), each lighter on registers than one fused pass, and each
            // two vectors at a time in a method of its own, as LstmCell.Step does.
            nuint n = (nuint)hidden, u = 0, pair = 2 * (nuint)TSimd.Count;
            for (; u + pair <= n; u += pair) GatesAt<SimdPair<TSimd, TVec>, VectorPair<TVec>>(ref z, n, u, pairBias);
            for (; u + (nuint)TSimd.Count <= n; u += (nuint)TSimd.Count) GatesAt<TSimd, TVec>(ref z, n, u, bias);
            for (; u < n; u++) GatesAt<SimdScalar, float>(ref z, n, u, forgetBias);
            for (u = 0; u + pair <= n; u += pair) CellAt<SimdPair<TSimd, TVec>, VectorPair<TVec>>(ref z, ref cp, ref c, ref tc, ref h, n, u, pairLow, pairHigh);
            for (; u + (nuint)TSimd.Count <= n; u += (nuint)TSimd.Count) CellAt<TSimd, TVec>(ref z, ref cp, ref c, ref tc, ref h, n, u, low, high);
            for (; u < n; u++) CellAt<SimdScalar, float>(ref z, ref cp, ref c, ref tc, ref h, n, u, -cellClip, cellClip);
        }
    }

    /// <summary>i = sigmoid(z_i), j = tanh(z_j), f = sigmoid(z_f + forgetBias), o = sigmoid(z_o), in place.</summary>
    /// <remarks>
    /// In two methods of two gates each: four activations of a pair in one method are more than the JIT inlines there
    /// (it leaves the pair's operations as calls).
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GatesAt<TSimd, TVec>(ref float z, nuint n, nuint u, TVec forgetBias)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        InputGatesAt<TSimd, TVec>(ref z, n, u);
        ForgetOutputGatesAt<TSimd, TVec>(ref z, n, u, forgetBias);
    }

    /// <summary>i = sigmoid(z_i), j = tanh(z_j), in place.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void InputGatesAt<TSimd, TVec>(ref float z, nuint n, nuint u)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TSimd.Store(FastMath.Sigmoid<TSimd, TVec>(TSimd.Load(ref z, u)), ref z, u);
        TSimd.Store(FastMath.Tanh<TSimd, TVec>(TSimd.Load(ref z, n + u)), ref z, n + u);
    }

    /// <summary>f = sigmoid(z_f + forgetBias), o = sigmoid(z_o), in place.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ForgetOutputGatesAt<TSimd, TVec>(ref float z, nuint n, nuint u, TVec forgetBias)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TSimd.Store(FastMath.Sigmoid<TSimd, TVec>(TSimd.Add(TSimd.Load(ref z, 2 * n + u), forgetBias)), ref z, 2 * n + u);
        TSimd.Store(FastMath.Sigmoid<TSimd, TVec>(TSimd.Load(ref z, 3 * n + u)), ref z, 3 * n + u);
    }

    /// <summary>c = clip(f c_prev + i j), tanh(c), h = o tanh(c), from the activated gates.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CellAt<TSimd, TVec>(ref float z, ref float cellPrevious, ref float cell, ref float tanhCell, ref float output,
        nuint n, nuint u, TVec low, TVec high)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec i = TSimd.Load(ref z, u), j = TSimd.Load(ref z, n + u), f = TSimd.Load(ref z, 2 * n + u), o = TSimd.Load(ref z, 3 * n + u);
        TVec c = TSimd.FusedMultiplyAdd(f, TSimd.Load(ref cellPrevious, u), TSimd.Multiply(i, j));
        c = TSimd.Clip(c, low, high);
        TVec t = FastMath.Tanh<TSimd, TVec>(c);
        TSimd.Store(c, ref cell, u);
        TSimd.Store(t, ref tanhCell, u);
        TSimd.Store(TSimd.Multiply(o, t), ref output, u);
    }

    /// <summary>Backward on the lanes TSimd.</summary>
    internal static void Backward<TSimd, TVec>(ReadOnlySpan<float> gates, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> cell,
        ReadOnlySpan<float> tanhCell, ReadOnlySpan<float> outputGradient, Span<float> cellGradient, Span<float> gateGradient,
        int rows, int hidden, float cellClip)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        // Without a clip, the limit only excludes infinite and NaN cells (whose gradient is meaningless anyway).
        float limit = float.IsPositiveInfinity(cellClip) ? float.MaxValue : cellClip;
        TVec limits = TSimd.Create(limit);
        for (int r = 0; r < rows; r++)
        {
            var row = new GradientRow(gates, cellPrevious, cell, tanhCell, outputGradient, cellGradient, gateGradient, r, hidden);
            nuint n = (nuint)hidden, u = 0;
            for (; u + (nuint)TSimd.Count <= n; u += (nuint)TSimd.Count) BackwardAt<TSimd, TVec>(row, n, u, limits);
            for (; u < n; u++) BackwardAt<SimdScalar, float>(row, n, u, limit);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void BackwardAt<TSimd, TVec>(in GradientRow row, nuint n, nuint u, TVec limit)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        ref float z = ref row.Gates;
        ref float dz = ref row.GateGradient;
        TVec one = TSimd.One;
        TVec i = TSimd.Load(ref z, u);
        TVec j = TSimd.Load(ref z, n + u);
        TVec f = TSimd.Load(ref z, 2 * n + u);
        TVec o = TSimd.Load(ref z, 3 * n + u);
        TVec t = TSimd.Load(ref row.TanhCell, u);
        TVec dh = TSimd.Load(ref row.OutputGradient, u);
        // dc = dc_in + ((dh * o) * (1 - t * t)), zeroed where the clip engaged.
        TVec dc = TSimd.Add(TSimd.Load(ref row.CellGradient, u), TSimd.Multiply(TSimd.Multiply(dh, o), TSimd.Subtract(one, TSimd.Multiply(t, t))));
        dc = TSimd.SelectWhereLess(TSimd.Abs(TSimd.Load(ref row.Cell, u)), limit, dc, TSimd.Zero);
        // Products are taken left to right as written in the header.
        TSimd.Store(TSimd.Multiply(TSimd.Multiply(TSimd.Multiply(dc, j), i), TSimd.Subtract(one, i)), ref dz, u);
        TSimd.Store(TSimd.Multiply(TSimd.Multiply(dc, i), TSimd.Subtract(one, TSimd.Multiply(j, j))), ref dz, n + u);
        TSimd.Store(TSimd.Multiply(TSimd.Multiply(TSimd.Multiply(dc, TSimd.Load(ref row.CellPrevious, u)), f), TSimd.Subtract(one, f)), ref dz, 2 * n + u);
        TSimd.Store(TSimd.Multiply(TSimd.Multiply(TSimd.Multiply(dh, t), o), TSimd.Subtract(one, o)), ref dz, 3 * n + u);
        TSimd.Store(TSimd.Multiply(dc, f), ref row.CellGradient, u);
    }

    private static void CheckSizes(int gates, int cellPrevious, int cell, int tanhCell, int output, int rows, int hidden)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(hidden);
        long units = (long)rows * hidden;
        if (gates < 4 * units || cellPrevious < units || cell < units || tanhCell < units || output < units)
            throw new ArgumentException("gates must hold rows x 4H values and the cell buffers rows x H.");
    }

    /// <summary>The start of row r in every buffer of the backward pass.</summary>
    private readonly ref struct GradientRow
    {
        public readonly ref float Gates;
        public readonly ref float CellPrevious;
        public readonly ref float Cell;
        public readonly ref float TanhCell;
        public readonly ref float OutputGradient;
        public readonly ref float CellGradient;
        public readonly ref float GateGradient;

        public GradientRow(ReadOnlySpan<float> gates, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> cell, ReadOnlySpan<float> tanhCell,
            ReadOnlySpan<float> outputGradient, Span<float> cellGradient, Span<float> gateGradient, int r, int hidden)
        {
            Gates = ref Unsafe.Add(ref MemoryMarshal.GetReference(gates), (nint)r * 4 * hidden);
            CellPrevious = ref Unsafe.Add(ref MemoryMarshal.GetReference(cellPrevious), (nint)r * hidden);
            Cell = ref Unsafe.Add(ref MemoryMarshal.GetReference(cell), (nint)r * hidden);
            TanhCell = ref Unsafe.Add(ref MemoryMarshal.GetReference(tanhCell), (nint)r * hidden);
            OutputGradient = ref Unsafe.Add(ref MemoryMarshal.GetReference(outputGradient), (nint)r * hidden);
            CellGradient = ref Unsafe.Add(ref MemoryMarshal.GetReference(cellGradient), (nint)r * hidden);
            GateGradient = ref Unsafe.Add(ref MemoryMarshal.GetReference(gateGradient), (nint)r * 4 * hidden);
        }
    }
}
