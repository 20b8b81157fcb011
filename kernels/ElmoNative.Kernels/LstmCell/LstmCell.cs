// The element-wise half of an LSTM step, fused: each row reads its four gate pre-activations and the old cell,
// and writes the new cell and the output, with no temporaries (two passes over the row, see Step below).
// The nonlinearities are FastMath's vectorised sigmoid/tanh; the tail of a row runs the same code on one lane,
// which gives the same bits as a vector lane, so the result does not depend on where a unit falls.
// The training form, which keeps what the backward pass needs, is LstmCellTraining.cs beside this file.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using ElmoNative.Kernels.Simd;

namespace ElmoNative.Kernels;

/// <summary>The element-wise part of one LSTM step, fused over the gates of each row.</summary>
public static class LstmCell
{
    /// <summary>
    /// For each of <paramref name="rows"/> rows with gate pre-activations z = [i, j, f, o] (4 x hidden wide, row stride 4 x hidden):
    /// c = sigmoid(f + forgetBias) * c + sigmoid(i) * tanh(j); c = clip(c, cellClip); h = sigmoid(o) * tanh(c).
    /// cell and output are [rows, hidden]. Pass float.PositiveInfinity as cellClip for no clipping.
    /// </summary>
    public static void Step(ReadOnlySpan<float> gates, Span<float> cell, Span<float> output, int rows, int hidden,
        float forgetBias, float cellClip)
        => Step(KernelSet.Current, gates, cell, output, rows, hidden, forgetBias, cellClip);

    /// <summary>Step on an explicit kernel set.</summary>
    internal static void Step(KernelSet kernels, ReadOnlySpan<float> gates, Span<float> cell, Span<float> output,
        int rows, int hidden, float forgetBias, float cellClip)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(hidden);
        if (!(cellClip >= 0f)) throw new ArgumentOutOfRangeException(nameof(cellClip), cellClip, "cellClip must be non-negative.");
        long units = (long)rows * hidden;
        if (gates.Length < 4 * units) throw new ArgumentException("gates must hold rows x 4 x hidden values.", nameof(gates));
        if (cell.Length < units) throw new ArgumentException("cell must hold rows x hidden values.", nameof(cell));
        if (output.Length < units) throw new ArgumentException("output must hold rows x hidden values.", nameof(output));
        kernels.LstmStep(gates, cell, output, rows, hidden, forgetBias, cellClip);
    }

    /// <summary>
    /// <see cref="Step(ReadOnlySpan{float}, Span{float}, Span{float}, int, int, float, float)"/> on rows of given strides:
    /// row r's gates [i, j, f, o] (4 x hidden) start at gates[r * ldGates], its cell at cell[r * ldCell], its output at
    /// output[r * ldOutput] (e.g. a block of units of wider rows). Each unit's result does not depend on the strides.
    /// </summary>
    /// <param name="gates">Gate pre-activations, rows of 4 x hidden at stride ldGates.</param>
    /// <param name="ldGates">Row stride of gates (at least 4 x hidden).</param>
    /// <param name="cell">The cell state, rows of hidden at stride ldCell, updated in place.</param>
    /// <param name="ldCell">Row stride of cell (at least hidden).</param>
    /// <param name="output">The output h, rows of hidden at stride ldOutput, written.</param>
    /// <param name="ldOutput">Row stride of output (at least hidden).</param>
    /// <param name="rows">Rows.</param>
    /// <param name="hidden">Units per row.</param>
    /// <param name="forgetBias">Added to the forget gate's pre-activation.</param>
    /// <param name="cellClip">Bound of the cell state (float.PositiveInfinity: none).</param>
    public static void Step(ReadOnlySpan<float> gates, int ldGates, Span<float> cell, int ldCell, Span<float> output, int ldOutput,
        int rows, int hidden, float forgetBias, float cellClip)
        => Step(KernelSet.Current, gates, ldGates, cell, ldCell, output, ldOutput, rows, hidden, forgetBias, cellClip);

    /// <summary>The strided step on an explicit kernel set.</summary>
    internal static void Step(KernelSet kernels, ReadOnlySpan<float> gates, int ldGates, Span<float> cell, int ldCell,
        Span<float> output, int ldOutput, int rows, int hidden, float forgetBias, float cellClip)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(hidden);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldGates, 4 * hidden);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldCell, hidden);
        ArgumentOutOfRangeException.ThrowIfLessThan(ldOutput, hidden);
        if (!(cellClip >= 0f)) throw new ArgumentOutOfRangeException(nameof(cellClip), cellClip, "cellClip must be non-negative.");
        Sgemm.CheckOperand(nameof(gates), gates.Length, rows, 4 * hidden, ldGates, true);
        Sgemm.CheckOperand(nameof(cell), cell.Length, rows, hidden, ldCell, true);
        Sgemm.CheckOperand(nameof(output), output.Length, rows, hidden, ldOutput, true);
        kernels.LstmStep(gates, ldGates, cell, ldCell, output, ldOutput, rows, hidden, forgetBias, cellClip);
    }

    /// <summary>Step on the lanes TSimd, rows at the given strides.</summary>
    internal static void Step<TSimd, TVec>(ReadOnlySpan<float> gates, int ldGates, Span<float> cell, int ldCell,
        Span<float> output, int ldOutput, int rows, int hidden, float forgetBias, float cellClip)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec bias = TSimd.Create(forgetBias), low = TSimd.Create(-cellClip), high = TSimd.Create(cellClip);
        VectorPair<TVec> pairBias = new(bias, bias), pairLow = new(low, low), pairHigh = new(high, high);
        for (int r = 0; r < rows; r++)
        {
            ref float z = ref Unsafe.Add(ref MemoryMarshal.GetReference(gates), (nint)r * ldGates);
            ref float c = ref Unsafe.Add(ref MemoryMarshal.GetReference(cell), (nint)r * ldCell);
            ref float h = ref Unsafe.Add(ref MemoryMarshal.GetReference(output), (nint)r * ldOutput);
            nuint n = (nuint)hidden, u = 0, pair = 2 * (nuint)TSimd.Count;
            for (; u + pair <= n; u += pair) CellAt<SimdPair<TSimd, TVec>, VectorPair<TVec>>(ref z, ref c, n, u, pairBias, pairLow, pairHigh);
            for (; u + (nuint)TSimd.Count <= n; u += (nuint)TSimd.Count) CellAt<TSimd, TVec>(ref z, ref c, n, u, bias, low, high);
            for (; u < n; u++) CellAt<SimdScalar, float>(ref z, ref c, n, u, forgetBias, -cellClip, cellClip);
            for (u = 0; u + pair <= n; u += pair) OutputAt<SimdPair<TSimd, TVec>, VectorPair<TVec>>(ref z, ref c, ref h, n, u);
            for (; u + (nuint)TSimd.Count <= n; u += (nuint)TSimd.Count) OutputAt<TSimd, TVec>(ref z, ref c, ref h, n, u);
            for (; u < n; u++) OutputAt<SimdScalar, float>(ref z, ref c, ref h, n, u);
        }
    }

    // A row runs in two passes, the new cell of all its units and then their outputs, rather than both for a few
    // units at a time: each unit's work is one long chain of dependent operations (three activations, the cell, then
    // tanh of the cell), longer than the processor's out-of-order window can overlap with the next units' chains; cut
    // in two, twice as many units are in flight at once (bench/README.md, "The LSTM cell in two passes"). Each pass
    // also takes two vectors at a time (SimdPair), issuing every step of two independent chains side by side, and is a
    // method of its own (not inlined into the row loop), where the JIT keeps the two chains in registers instead of
    // spilling them (bench/README.md, "The LSTM cell, two vectors abreast"). Same operations on the same values: the bits
    // do not change.

    /// <summary>The new cell of units u .. u + Count - 1 of one row (n units wide).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void CellAt<TSimd, TVec>(ref float z, ref float c, nuint n, nuint u, TVec forgetBias, TVec low, TVec high)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec i = FastMath.Sigmoid<TSimd, TVec>(TSimd.Load(ref z, u));
        TVec j = FastMath.Tanh<TSimd, TVec>(TSimd.Load(ref z, n + u));
        TVec f = FastMath.Sigmoid<TSimd, TVec>(TSimd.Add(TSimd.Load(ref z, 2 * n + u), forgetBias));
        TVec cu = TSimd.FusedMultiplyAdd(f, TSimd.Load(ref c, u), TSimd.Multiply(i, j));
        TSimd.Store(TSimd.Clip(cu, low, high), ref c, u);
    }

    /// <summary>The output of units u .. u + Count - 1 of one row from their new cell.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void OutputAt<TSimd, TVec>(ref float z, ref float c, ref float h, nuint n, nuint u)
        where TSimd : ISimd<TVec>
        where TVec : struct
    {
        TVec o = FastMath.Sigmoid<TSimd, TVec>(TSimd.Load(ref z, 3 * n + u));
        TSimd.Store(TSimd.Multiply(o, FastMath.Tanh<TSimd, TVec>(TSimd.Load(ref c, u))), ref h, u);
    }
}
