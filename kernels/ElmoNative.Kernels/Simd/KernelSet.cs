// The one dispatch point of the tensor core. Every kernel is written once, generic over the lanes of a SIMD variant
// (ISimd) and, for GEMM, over a register-tiled micro-kernel; a KernelSet is those kernels instantiated for one
// variant. The sets are listed here in order of preference, the process picks one at start (SimdDispatch.Current,
// forced by ELMONATIVE_SIMD) and every public kernel entry point calls through KernelSet.Current; tests take any set
// with For(variant).
using System.Runtime.Intrinsics;
using ElmoNative.Kernels.Gemm;

namespace ElmoNative.Kernels.Simd;

/// <summary>All kernels of one SIMD variant.</summary>
internal abstract unsafe class KernelSet
{
    /// <summary>The sets, widest first (the order of preference).</summary>
    private static readonly KernelSet[] Sets =
    [
        new KernelSet<Simd512, Vector512<float>, MicroKernel512>(),
        new KernelSet<Simd256, Vector256<float>, MicroKernel256>(),
        new KernelSet<SimdScalar, float, MicroKernelScalar>(),
    ];

    /// <summary>The set every public entry point uses, chosen once at start-up (see <see cref="SimdDispatch"/>).</summary>
    public static KernelSet Current { get; } = For(SimdDispatch.Current);

    /// <summary>The set of <paramref name="variant"/> (it runs anywhere: Vector512 in software where AVX-512 is missing).</summary>
    public static KernelSet For(SimdVariant variant)
    {
        foreach (var set in Sets)
            if (set.Variant == variant) return set;
        throw new ArgumentOutOfRangeException(nameof(variant), variant, "No kernel set for this variant.");
    }

    /// <summary>The variant of these kernels.</summary>
    public abstract SimdVariant Variant { get; }

    /// <summary>Columns of the GEMM micro-kernel's tile, i.e. of a packed B panel.</summary>
    public abstract int Nr { get; }

    // ---------------------------------------------------------------- GEMM (Gemm/)

    /// <summary>Runs the whole product g on at most maxThreads threads (blocking: null for the micro-kernel's own).</summary>
    public abstract void Gemm(ref GemmArgs g, int maxThreads, GemmBlocking? blocking);

    /// <summary>Floats <see cref="PackRows"/> writes for rows x k of A.</summary>
    public abstract int PackedRowsLength(int rows, int k);

    /// <summary>Packs all g.M rows of op(A) (times alpha) for every K block of the default blocking into dst.</summary>
    public abstract void PackRows(ref GemmArgs g, float* dst);

    /// <summary>
    /// Columns j0 .. j1 - 1 (j0 a multiple of Nr) of the product of rows packed by <see cref="PackRows"/> and the prepacked
    /// g.PackedB, into g.C (whose column 0 is B's column j0), on the calling thread; beta 0 or 1.
    /// </summary>
    public abstract void GemmPackedRows(ref GemmArgs g, float* packedRows, int j0, int j1);

    /// <summary>Packs op(B)[p0 .. p0+kc, j0 .. j0+nc) into dst as panels of kc x Nr (see Packing.PackB).</summary>
    public abstract void PackB(Transpose transB, float* b, nint ldb, int p0, int kc, int j0, int nc, float* dst);

    /// <summary>y += x (VectorOps.Add; also the row adds of bias add and column sums).</summary>
    public abstract void Add(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>y += alpha x (VectorOps.MultiplyAdd).</summary>
    public abstract void MultiplyAdd(ReadOnlySpan<float> x, float alpha, Span<float> y);

    /// <summary>x *= alpha (VectorOps.Scale).</summary>
    public abstract void Scale(Span<float> x, float alpha);

    // ---------------------------------------------------------------- activations (Activations/)

    /// <summary>y = max(x, 0).</summary>
    public abstract void Relu(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>x = min(max(x, -limit), limit).</summary>
    public abstract void Clip(Span<float> x, float limit);

    /// <summary>y = sigmoid(x).</summary>
    public abstract void Sigmoid(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>y = tanh(x).</summary>
    public abstract void Tanh(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>y = exp(x).</summary>
    public abstract void Exp(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>h = g t + (1 - g) h.</summary>
    public abstract void GatedMix(ReadOnlySpan<float> g, ReadOnlySpan<float> t, Span<float> h);

    /// <summary>dy *= (y &gt; 0).</summary>
    public abstract void ReluBackward(ReadOnlySpan<float> y, Span<float> dy);

    /// <summary>dy *= 1 - y².</summary>
    public abstract void TanhBackward(ReadOnlySpan<float> y, Span<float> dy);

    /// <summary>dy *= y (1 - y).</summary>
    public abstract void SigmoidBackward(ReadOnlySpan<float> y, Span<float> dy);

    /// <summary>dy = 0 where |y| &gt;= limit.</summary>
    public abstract void ClipBackward(ReadOnlySpan<float> y, float limit, Span<float> dy);

    /// <summary>The gradient through h = g t + (1 - g) h.</summary>
    public abstract void GatedMixBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> t, ReadOnlySpan<float> h,
        ReadOnlySpan<float> dy, Span<float> dg, Span<float> dt, Span<float> dh);

    // ---------------------------------------------------------------- LSTM cell (LstmCell/)

    /// <summary>The fused inference step (LstmCell.Step).</summary>
    public abstract void LstmStep(ReadOnlySpan<float> gates, Span<float> cell, Span<float> output, int rows, int hidden,
        float forgetBias, float cellClip);

    /// <summary>The fused inference step on rows of given strides (LstmCell.Step).</summary>
    public abstract void LstmStep(ReadOnlySpan<float> gates, int ldGates, Span<float> cell, int ldCell, Span<float> output,
        int ldOutput, int rows, int hidden, float forgetBias, float cellClip);

    /// <summary>The training forward pass (LstmCellTraining.Forward).</summary>
    public abstract void LstmForward(Span<float> gates, ReadOnlySpan<float> cellPrevious, Span<float> cell, Span<float> tanhCell,
        Span<float> output, int rows, int hidden, float forgetBias, float cellClip);

    /// <summary>The training backward pass (LstmCellTraining.Backward).</summary>
    public abstract void LstmBackward(ReadOnlySpan<float> gates, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> cell,
        ReadOnlySpan<float> tanhCell, ReadOnlySpan<float> outputGradient, Span<float> cellGradient, Span<float> gateGradient,
        int rows, int hidden, float cellClip);

    // ---------------------------------------------------------------- reductions (Reductions/)

    /// <summary>sum exp(x - shift), the terms stored in y unless y is empty.</summary>
    public abstract float ExpShiftedSum(ReadOnlySpan<float> x, float shift, Span<float> y);

    /// <summary>best = max(best, row) element-wise (MaxOverTime.Into).</summary>
    public abstract void MaxInto(ReadOnlySpan<float> row, Span<float> best);

    /// <summary>Column maxima plus bias with their first argmax (MaxOverTime.MaxRows).</summary>
    public abstract void ArgMaxRows(ReadOnlySpan<float> c, int positions, int filters, ReadOnlySpan<float> bias, Span<float> best, Span<int> at);

    // ---------------------------------------------------------------- convolution (Convolution/)

    /// <summary>The maxima of a bank's folded window sums (FoldedConvolution.Windows).</summary>
    public abstract void FoldedWindows(float* responses, int perId, int width, int filters, int* ids, int windows, float* best);

    // ---------------------------------------------------------------- optimizer (Optimizer/)

    /// <summary>The Adagrad update.</summary>
    public abstract void Adagrad(Span<float> parameters, Span<float> accumulators, ReadOnlySpan<float> gradient, float learningRate);
}

/// <summary>The kernels instantiated on the lanes TSimd and the GEMM micro-kernel TMicroKernel.</summary>
internal sealed unsafe class KernelSet<TSimd, TVec, TMicroKernel> : KernelSet
    where TSimd : ISimd<TVec>
    where TVec : struct
    where TMicroKernel : IMicroKernel
{
    public override SimdVariant Variant => TSimd.Variant;

    public override int Nr => TMicroKernel.Nr;

    public override void Gemm(ref GemmArgs g, int maxThreads, GemmBlocking? blocking)
    {
        g.Blocking = blocking ?? TMicroKernel.DefaultBlocking;
        GemmParallel.Run<TMicroKernel>(g, maxThreads);
    }

    public override int PackedRowsLength(int rows, int k) => GemmDriver<TMicroKernel>.PackedRowsLength(rows, k);

    public override void PackRows(ref GemmArgs g, float* dst)
        => GemmDriver<TMicroKernel>.PackRows(g, 0, g.M, TMicroKernel.DefaultBlocking.RoundedTo(TMicroKernel.Mr, TMicroKernel.Nr).Kc, dst);

    public override void GemmPackedRows(ref GemmArgs g, float* packedRows, int j0, int j1)
        => GemmDriver<TMicroKernel>.RunPackedRows(g, packedRows, g.M, TMicroKernel.DefaultBlocking.RoundedTo(TMicroKernel.Mr, TMicroKernel.Nr).Kc, j0, j1, g.C);

    public override void PackB(Transpose transB, float* b, nint ldb, int p0, int kc, int j0, int nc, float* dst)
        => Packing.PackB<TMicroKernel>(transB, b, ldb, p0, kc, j0, nc, dst);

    public override void Add(ReadOnlySpan<float> x, Span<float> y) => VectorOps.MultiplyAdd<TSimd, TVec>(x, 1f, y);

    public override void MultiplyAdd(ReadOnlySpan<float> x, float alpha, Span<float> y) => VectorOps.MultiplyAdd<TSimd, TVec>(x, alpha, y);

    public override void Scale(Span<float> x, float alpha) => VectorOps.Scale<TSimd, TVec>(x, alpha);

    public override void Relu(ReadOnlySpan<float> x, Span<float> y) => Activations.Relu<TSimd, TVec>(x, y);

    public override void Clip(Span<float> x, float limit) => Activations.Clip<TSimd, TVec>(x, limit);

    public override void Sigmoid(ReadOnlySpan<float> x, Span<float> y) => Activations.Map<TSimd, TVec, SigmoidFunction>(x, y);

    public override void Tanh(ReadOnlySpan<float> x, Span<float> y) => Activations.Map<TSimd, TVec, TanhFunction>(x, y);

    public override void Exp(ReadOnlySpan<float> x, Span<float> y) => Activations.Map<TSimd, TVec, ExpFunction>(x, y);

    public override void GatedMix(ReadOnlySpan<float> g, ReadOnlySpan<float> t, Span<float> h) => Activations.GatedMix<TSimd, TVec>(g, t, h);

    public override void ReluBackward(ReadOnlySpan<float> y, Span<float> dy) => Gradients.ReluBackward<TSimd, TVec>(y, dy);

    public override void TanhBackward(ReadOnlySpan<float> y, Span<float> dy) => Gradients.TanhBackward<TSimd, TVec>(y, dy);

    public override void SigmoidBackward(ReadOnlySpan<float> y, Span<float> dy) => Gradients.SigmoidBackward<TSimd, TVec>(y, dy);

    public override void ClipBackward(ReadOnlySpan<float> y, float limit, Span<float> dy) => Gradients.ClipBackward<TSimd, TVec>(y, limit, dy);

    public override void GatedMixBackward(ReadOnlySpan<float> g, ReadOnlySpan<float> t, ReadOnlySpan<float> h,
        ReadOnlySpan<float> dy, Span<float> dg, Span<float> dt, Span<float> dh)
        => Gradients.GatedMixBackward<TSimd, TVec>(g, t, h, dy, dg, dt, dh);

    public override void LstmStep(ReadOnlySpan<float> gates, Span<float> cell, Span<float> output, int rows, int hidden,
        float forgetBias, float cellClip)
        => LstmCell.Step<TSimd, TVec>(gates, 4 * hidden, cell, hidden, output, hidden, rows, hidden, forgetBias, cellClip);

    public override void LstmStep(ReadOnlySpan<float> gates, int ldGates, Span<float> cell, int ldCell, Span<float> output,
        int ldOutput, int rows, int hidden, float forgetBias, float cellClip)
        => LstmCell.Step<TSimd, TVec>(gates, ldGates, cell, ldCell, output, ldOutput, rows, hidden, forgetBias, cellClip);

    public override void LstmForward(Span<float> gates, ReadOnlySpan<float> cellPrevious, Span<float> cell, Span<float> tanhCell,
        Span<float> output, int rows, int hidden, float forgetBias, float cellClip)
        => LstmCellTraining.Forward<TSimd, TVec>(gates, cellPrevious, cell, tanhCell, output, rows, hidden, forgetBias, cellClip);

    public override void LstmBackward(ReadOnlySpan<float> gates, ReadOnlySpan<float> cellPrevious, ReadOnlySpan<float> cell,
        ReadOnlySpan<float> tanhCell, ReadOnlySpan<float> outputGradient, Span<float> cellGradient, Span<float> gateGradient,
        int rows, int hidden, float cellClip)
        => LstmCellTraining.Backward<TSimd, TVec>(gates, cellPrevious, cell, tanhCell, outputGradient, cellGradient, gateGradient, rows, hidden, cellClip);

    public override float ExpShiftedSum(ReadOnlySpan<float> x, float shift, Span<float> y) => Activations.ExpShiftedSum<TSimd, TVec>(x, shift, y);

    public override void MaxInto(ReadOnlySpan<float> row, Span<float> best) => MaxOverTime.Into<TSimd, TVec>(row, best);

    public override void ArgMaxRows(ReadOnlySpan<float> c, int positions, int filters, ReadOnlySpan<float> bias, Span<float> best, Span<int> at)
        => MaxOverTime.MaxRows<TSimd, TVec>(c, positions, filters, bias, best, at);

    public override void FoldedWindows(float* responses, int perId, int width, int filters, int* ids, int windows, float* best)
        => FoldedConvolution.Windows<TSimd, TVec>(responses, perId, width, filters, ids, windows, best);

    public override void Adagrad(Span<float> parameters, Span<float> accumulators, ReadOnlySpan<float> gradient, float learningRate)
        => AdagradUpdate.Apply<TSimd, TVec>(parameters, accumulators, gradient, learningRate);
}
