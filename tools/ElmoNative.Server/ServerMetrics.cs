using Prometheus;

namespace ElmoNative.Server;

/// <summary>
/// The server's own Prometheus metrics (docs/serve.md, "Metrics"), in a registry of its own so that two servers in one
/// process do not share counters; <c>GET /metrics</c> exports them with prometheus-net's HTTP request metrics
/// (<c>http_requests_received_total</c> by endpoint and code, <c>http_request_duration_seconds</c>).
/// </summary>
internal sealed class ServerMetrics
{
    public ServerMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(Registry);
        Factory = factory;
        QueueLength = factory.CreateGauge("elmo_queue_length", "Requests waiting in the batching queue.");
        InProgress = factory.CreateGauge("elmo_requests_in_progress", "Embedding requests accepted and not yet answered (queued, batching or running).");
        Rejected = factory.CreateCounter("elmo_requests_rejected_total", "Embedding requests refused because the queue was full (429).");
        Cancelled = factory.CreateCounter("elmo_requests_cancelled_total", "Queued embedding requests dropped because their client went away.");
        BatchSentences = factory.CreateHistogram("elmo_batch_sentences", "Sentences per engine batch.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 12) });
        BatchTokens = factory.CreateHistogram("elmo_batch_tokens", "Tokens per engine batch.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 2, 16) });
        BatchSeconds = factory.CreateHistogram("elmo_batch_duration_seconds", "Time the engine took per batch.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        Sentences = factory.CreateCounter("elmo_embedded_sentences_total", "Sentences embedded.");
        Tokens = factory.CreateCounter("elmo_embedded_tokens_total", "Tokens embedded (rate() of it is tokens/s).");
        TokensPerSecond = factory.CreateGauge("elmo_tokens_per_second", "Tokens per second of the engine over its last batch.");
        TokenCacheHitRatio = factory.CreateGauge("elmo_token_cache_hit_ratio", "Hit rate of the model's token-representation cache since start.");
        ModelLoaded = factory.CreateGauge("elmo_model_loaded", "1 when the model is loaded and the server answers.");
    }

    /// <summary>The registry <c>/metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; }

    /// <summary>The factory of the registry (for prometheus-net's HTTP metrics).</summary>
    public IMetricFactory Factory { get; }

    public Gauge QueueLength { get; }
    public Gauge InProgress { get; }
    public Counter Rejected { get; }
    public Counter Cancelled { get; }
    public Histogram BatchSentences { get; }
    public Histogram BatchTokens { get; }
    public Histogram BatchSeconds { get; }
    public Counter Sentences { get; }
    public Counter Tokens { get; }
    public Gauge TokensPerSecond { get; }
    public Gauge TokenCacheHitRatio { get; }
    public Gauge ModelLoaded { get; }
}
