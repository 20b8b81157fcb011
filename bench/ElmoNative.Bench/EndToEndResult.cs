using System.Globalization;
using ElmoNative.Checkpoints;

namespace ElmoNative.Bench;

/// <summary>What one end-to-end run (<see cref="EndToEnd.Measure"/>) measured.</summary>
public sealed record EndToEndResult
{
    /// <summary>The preset of the random checkpoint.</summary>
    public required ModelPreset Preset { get; init; }
    /// <summary>The model's options (LSTM sizes for the FLOP count).</summary>
    public required ElmoOptions Options { get; init; }
    /// <summary>Parameters of the model.</summary>
    public required long ParameterCount { get; init; }
    /// <summary>Size of the weights file.</summary>
    public required long WeightBytes { get; init; }
    /// <summary>File name of the input text.</summary>
    public required string InputName { get; init; }
    /// <summary>Sentences embedded in the timed run.</summary>
    public required int Sentences { get; init; }
    /// <summary>Tokens embedded in the timed run.</summary>
    public required long Tokens { get; init; }
    /// <summary>Kernel threads.</summary>
    public required int Threads { get; init; }
    /// <summary>Sentences per batch.</summary>
    public required int BatchSize { get; init; }

    /// <summary>What the timed run was: `elmo embed`'s file path or the library's batches.</summary>
    public required EndToEndMode Mode { get; init; }
    /// <summary>Batches in the timed run.</summary>
    public required int Batches { get; init; }
    /// <summary>Wall time of loading the checkpoint.</summary>
    public required double LoadSeconds { get; init; }
    /// <summary>Wall time of the timed run (its first round).</summary>
    public required double EmbedSeconds { get; init; }
    /// <summary>Wall time of each round of the timed run (the first is <see cref="EmbedSeconds"/>).</summary>
    public required IReadOnlyList<double> RoundSeconds { get; init; }
    /// <summary>CPU time of the process during the timed run (the first round).</summary>
    public required double CpuSeconds { get; init; }
    /// <summary>Managed bytes allocated during the timed run.</summary>
    public required long AllocatedBytes { get; init; }
    /// <summary>Managed bytes allocated per batch in steady state.</summary>
    public required double SteadyBytesPerBatch { get; init; }
    /// <summary>Batches of the steady-state measurement.</summary>
    public required int SteadyBatches { get; init; }
    /// <summary>Token cache hits in the timed run.</summary>
    public required long CacheHits { get; init; }
    /// <summary>Token cache lookups in the timed run.</summary>
    public required long CacheLookups { get; init; }
    /// <summary>Tokens in the cache at the end.</summary>
    public required int CacheCount { get; init; }
    /// <summary>Capacity of the cache.</summary>
    public required int CacheCapacity { get; init; }
    /// <summary>Median batch-1 latency of a 20-token sentence, in milliseconds.</summary>
    public required double LatencyMilliseconds { get; init; }
    /// <summary>The fastest of the latency runs, in milliseconds.</summary>
    public required double LatencyBestMilliseconds { get; init; }
    /// <summary>Runs the latency is the median of.</summary>
    public required int LatencyRuns { get; init; }
    /// <summary>Peak resident set of the process at the end of the run.</summary>
    public required long PeakBytes { get; init; }
    /// <summary>Peak resident set by the end of the load.</summary>
    public required long PeakAfterLoadBytes { get; init; }
    /// <summary>Resident set right after the load.</summary>
    public required long ResidentAfterLoadBytes { get; init; }
    /// <summary>Managed heap at the end.</summary>
    public required long ManagedHeapBytes { get; init; }

    /// <summary>Tokens per second of the timed run.</summary>
    public double TokensPerSecond => Tokens / EmbedSeconds;

    /// <summary>Token cache hit rate of the timed run.</summary>
    public double CacheHitRate => CacheHits / (double)Math.Max(1, CacheLookups);

    /// <summary>
    /// Work of the token encoder per token of the run in MFLOP, counting its GEMMs on the tokens the cache missed:
    /// <see cref="ElmoNative.Layers.BiLm.EncoderFlopsPerMiss"/> (highways and projection; the character convolutions left
    /// out, so a lower bound) per missed token. Not part of <see cref="MflopPerToken"/>.
    /// </summary>
    public double EncoderMflopOnMissesPerToken => ElmoNative.Layers.BiLm.EncoderFlopsPerMiss(Options) * (CacheLookups - CacheHits) / Tokens / 1e6;

    /// <summary>
    /// The necessary work per token in MFLOP: the LSTM steps only (<see cref="ElmoNative.Layers.BiLm.LstmFlopsPerStep"/>:
    /// 2 directions x L layers x (2·P·4H input projection + 2·P·4H recurrent + 2·H·P cell projection)), times
    /// (tokens + 2 sentences) / tokens for the two boundary steps of each sentence.
    /// </summary>
    public double MflopPerToken => ElmoNative.Layers.BiLm.LstmFlopsPerStep(Options) * (Tokens + 2.0 * Sentences) / Tokens / 1e6;

    /// <summary>The human-readable summary `e2e` prints.</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture, $"""
        preset              {Preset} ({ParameterCount / 1e6:F1} M parameters, weights file {WeightBytes / 1e6:F0} MB)
        input               {Sentences} sentences, {Tokens} tokens of {InputName}
        threads             {Threads}, batch size {BatchSize}, stateless, {(Mode == EndToEndMode.File ? "elmo embed's path (EmbeddingFile, regrouped, HDF5 written)" : "ElmoModel.Embed on the batches in input order")}
        load time           {LoadSeconds:F2} s
        embed time          {EmbedSeconds:F2} s
        throughput          {TokensPerSecond:F0} tokens/s
        CPU time            {CpuSeconds:F2} s ({Tokens / CpuSeconds:F0} tokens per CPU-second; machine load shows as a gap to {Threads} x wall time)
        allocations         {AllocatedBytes / (double)Batches / 1024:F1} KB per batch over the run (all threads; buffers growing, cache filling); {SteadyBytesPerBatch:F0} bytes per batch in steady state ({SteadyBatches} batches again)
        token cache         {CacheHitRate:P1} hits in the timed run ({CacheHits} of {CacheLookups} lookups, one per distinct token of a batch; {CacheCount} cached, capacity {CacheCapacity})
        batch-1 latency     {LatencyMilliseconds:F1} ms (20-token sentence, median of {LatencyRuns}; best {LatencyBestMilliseconds:F1} ms)
        peak memory (RSS)   by the end of the timed run {PeakBytes / 1e6:F0} MB ({PeakAfterLoadBytes / 1e6:F0} MB by the end of the load, {ResidentAfterLoadBytes / 1e6:F0} MB resident after it; managed heap now {ManagedHeapBytes / 1e6:F0} MB)
        """);
}
