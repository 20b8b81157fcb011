using ElmoNative.Extensions.AI;

namespace ElmoNative.Server;

/// <summary>How <see cref="ElmoServer"/> listens, batches, limits and pools (the options of <c>elmo serve</c>; docs/serve.md).</summary>
public sealed class ElmoServerOptions
{
    /// <summary>Default of <see cref="Urls"/>: loopback only.</summary>
    public const string DefaultUrls = "http://127.0.0.1:8080";

    /// <summary>Default of <see cref="MaxBatchTokens"/>.</summary>
    public const int DefaultMaxBatchTokens = 4096;

    /// <summary>Default of <see cref="MaxBatchDelay"/>, in milliseconds.</summary>
    public const int DefaultMaxBatchDelayMilliseconds = 0;

    /// <summary>Default of <see cref="MaxQueuedRequests"/>.</summary>
    public const int DefaultMaxQueuedRequests = 512;

    /// <summary>Default of <see cref="MaxInputsPerRequest"/> (OpenAI's limit).</summary>
    public const int DefaultMaxInputsPerRequest = 2048;

    /// <summary>Default of <see cref="MaxTokensPerInput"/>.</summary>
    public const int DefaultMaxTokensPerInput = 1024;

    /// <summary>Default of <see cref="MaxRequestBodyBytes"/> (16 MiB).</summary>
    public const long DefaultMaxRequestBodyBytes = 16L << 20;

    /// <summary>The addresses Kestrel listens on, separated by <c>;</c> (port 0: any free port).</summary>
    public string Urls { get; set; } = DefaultUrls;

    /// <summary>The model's name in requests and answers (<c>model</c>); default <c>elmo</c>.</summary>
    public string ModelId { get; set; } = "elmo";

    /// <summary>Tokens of queued requests coalesced into one engine batch (a single larger request is taken whole).</summary>
    public int MaxBatchTokens { get; set; } = DefaultMaxBatchTokens;

    /// <summary>How long the batching loop waits for more requests once it has one and its batch is below the token budget.</summary>
    public TimeSpan MaxBatchDelay { get; set; } = TimeSpan.FromMilliseconds(DefaultMaxBatchDelayMilliseconds);

    /// <summary>Requests waiting in the queue before further ones are refused with 429.</summary>
    public int MaxQueuedRequests { get; set; } = DefaultMaxQueuedRequests;

    /// <summary>Most strings (or token lists) in one request.</summary>
    public int MaxInputsPerRequest { get; set; } = DefaultMaxInputsPerRequest;

    /// <summary>Most tokens of one input.</summary>
    public int MaxTokensPerInput { get; set; } = DefaultMaxTokensPerInput;

    /// <summary>Most bytes of a request body (413 beyond).</summary>
    public long MaxRequestBodyBytes { get; set; } = DefaultMaxRequestBodyBytes;

    /// <summary>The layers a sentence vector of <c>/v1/embeddings</c> is pooled from: <see cref="ElmoLayerSelection.Average"/> (default) or <see cref="ElmoLayerSelection.Top"/>.</summary>
    public ElmoLayerSelection Layers { get; set; } = ElmoLayerSelection.Average;

    /// <summary>The pooling of a sentence vector of <c>/v1/embeddings</c> (default <see cref="Pooling.Mean"/>).</summary>
    public Pooling Pooling { get; set; } = Pooling.Mean;

    /// <summary>How long a stopping server waits for the requests in flight before it closes their connections.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Checks the values (an <see cref="ArgumentException"/> naming the property).</summary>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Urls)) throw new ArgumentException("ElmoServerOptions.Urls is empty");
        if (string.IsNullOrWhiteSpace(ModelId)) throw new ArgumentException("ElmoServerOptions.ModelId is empty");
        if (MaxBatchTokens < 1) throw new ArgumentException("ElmoServerOptions.MaxBatchTokens must be at least 1");
        if (MaxBatchDelay < TimeSpan.Zero) throw new ArgumentException("ElmoServerOptions.MaxBatchDelay must not be negative");
        if (MaxQueuedRequests < 0) throw new ArgumentException("ElmoServerOptions.MaxQueuedRequests must not be negative");
        if (MaxInputsPerRequest < 1) throw new ArgumentException("ElmoServerOptions.MaxInputsPerRequest must be at least 1");
        if (MaxTokensPerInput < 1) throw new ArgumentException("ElmoServerOptions.MaxTokensPerInput must be at least 1");
        if (MaxRequestBodyBytes < 1) throw new ArgumentException("ElmoServerOptions.MaxRequestBodyBytes must be at least 1");
        if (Layers is not (ElmoLayerSelection.Average or ElmoLayerSelection.Top)) throw new ArgumentException("ElmoServerOptions.Layers must be Average or Top");
        if (!Enum.IsDefined(Pooling)) throw new ArgumentException("ElmoServerOptions.Pooling is unknown");
    }
}
