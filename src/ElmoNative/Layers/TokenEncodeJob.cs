using ElmoNative.Kernels;

namespace ElmoNative.Layers;

/// <summary>
/// The token encoder over many tokens on two threads (one job per workspace): two workers take chunks of at most
/// <see cref="ChunkTokens"/> tokens (an even number of chunks of nearly equal size, so that both finish together) in
/// turn from the workspace's <see cref="BiLmWorkspace.MissingCharIds"/> and write
/// their representations to <see cref="BiLmWorkspace.Fresh"/>, each running the whole encoder (character CNN, highways,
/// projection) on its chunk with one thread and its own scratch (<see cref="BiLmWorkspace.Direction"/> of the worker).
/// A token's representation depends only on its characters, so the bits are those of one encoder call over all tokens.
/// </summary>
internal sealed class TokenEncodeJob
{
    private int nextChunk, chunks;

    public TokenEncodeJob() => Body = RunWorker;

    /// <summary>Tokens per chunk: one pass of the encoder (<see cref="TokenEncoder.ChunkTokens"/>) in the worker's scratch.</summary>
    public const int ChunkTokens = TokenEncoder.ChunkTokens;

    /// <summary>The encoder.</summary>
    public TokenEncoder? Encoder { get; set; }

    /// <summary>The workspace holding the ids, the output and the workers' scratch.</summary>
    public BiLmWorkspace? Workspace { get; set; }

    /// <summary>Tokens to encode.</summary>
    public int Count { get; set; }

    /// <summary>The worker (0 or 1), for <see cref="ParallelParts.For"/>.</summary>
    public Action<int> Body { get; }

    /// <summary>
    /// Runs the job on two threads (the caller and one helper) and returns when every chunk is encoded. The workspace's
    /// ids and output buffers must already hold <see cref="Count"/> tokens: the workers only read them.
    /// </summary>
    public void Run()
    {
        nextChunk = 0;
        chunks = 2 * ((Count + 2 * ChunkTokens - 1) / (2 * ChunkTokens));
        ParallelParts.For(2, 2, Body);
    }

    private void RunWorker(int worker)
    {
        var encoder = Encoder!;
        var ws = Workspace!;
        int w = encoder.CharsPerToken, p = encoder.OutputDim, count = Count;
        ReadOnlySpan<int> ids = ws.MissingCharIds(count * w);
        Span<float> output = ws.Fresh(count * p);
        using var limit = KernelSettings.LimitCurrentThread(1);
        for (int chunk = Interlocked.Increment(ref nextChunk) - 1; chunk < chunks; chunk = Interlocked.Increment(ref nextChunk) - 1)
        {
            int start = (int)((long)count * chunk / chunks), n = (int)((long)count * (chunk + 1) / chunks) - start;
            encoder.Encode(ids.Slice(start * w, n * w), n, ws.Direction(worker), output.Slice(start * p, n * p));
        }
    }
}
