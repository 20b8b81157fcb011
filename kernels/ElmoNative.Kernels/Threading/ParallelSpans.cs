// ParallelParts for parts that write into spans: a span cannot be captured by a delegate or kept in an object, so the
// spans are pinned for the call, kept as pointers in a job cached per calling thread, and handed to every part as spans
// again. The parts must write disjoint places of the spans (as ParallelParts' parts write disjoint results).
namespace ElmoNative.Kernels;

/// <summary>One part of a <see cref="ParallelSpans.For"/> call, with the call's two spans.</summary>
/// <param name="part">The part, 0 .. parts - 1.</param>
/// <param name="first">The call's first span.</param>
/// <param name="second">The call's second span.</param>
public delegate void SpanPart(int part, Span<float> first, Span<float> second);

/// <summary>Runs parts of a job that write into two spans on the calling thread and thread-pool helpers.</summary>
public static unsafe class ParallelSpans
{
    [ThreadStatic]
    private static Job? cached;

    /// <summary>
    /// Calls <paramref name="body"/>(i, first, second) once for every i in [0, <paramref name="parts"/>) on at most
    /// <paramref name="threads"/> threads including the caller (<see cref="ParallelParts.For"/>), and returns when all
    /// calls have returned. Pass a cached delegate to keep the call allocation-free.
    /// </summary>
    /// <param name="parts">Number of parts.</param>
    /// <param name="threads">Most threads, the caller included.</param>
    /// <param name="first">A span every part receives.</param>
    /// <param name="second">Another span every part receives.</param>
    /// <param name="body">The part.</param>
    public static void For(int parts, int threads, Span<float> first, Span<float> second, SpanPart body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfNegative(parts);
        if (Math.Min(threads, parts) <= 1)
        {
            for (int i = 0; i < parts; i++) body(i, first, second);
            return;
        }
        var job = cached is { Busy: false } free ? free : cached = new Job();
        fixed (float* p0 = first, p1 = second)
        {
            job.Busy = true;
            job.First = p0;
            job.FirstLength = first.Length;
            job.Second = p1;
            job.SecondLength = second.Length;
            job.Body = body;
            try
            {
                ParallelParts.For(parts, threads, job.Run);
            }
            finally
            {
                job.Body = null;
                job.Busy = false;
            }
        }
    }

    private sealed class Job
    {
        public bool Busy;
        public float* First, Second;
        public int FirstLength, SecondLength;
        public SpanPart? Body;

        public Job() => Run = RunPart;

        public Action<int> Run { get; }

        private void RunPart(int part) => Body!(part, new Span<float>(First, FirstLength), new Span<float>(Second, SecondLength));
    }
}
