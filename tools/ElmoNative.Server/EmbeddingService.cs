using ElmoNative.Extensions.AI;
using Microsoft.AspNetCore.Http;

namespace ElmoNative.Server;

/// <summary>What the endpoints share: the model, the options, the tokenizer, the batcher and the metrics.</summary>
internal sealed class EmbeddingService(ElmoModel model, ElmoServerOptions options, EmbeddingBatcher batcher, ServerMetrics metrics)
{
    /// <summary>The biLM.</summary>
    public ElmoModel Model { get; } = model;

    /// <summary>The server's options.</summary>
    public ElmoServerOptions Options { get; } = options;

    /// <summary>The metrics.</summary>
    public ServerMetrics Metrics { get; } = metrics;

    /// <summary>The tokenizer of raw text: the default of ElmoNative.Extensions.AI (docs/dotnet-ai.md, "Tokenizer").</summary>
    public IElmoTokenizer Tokenizer { get; } = ElmoTokenizers.PennTreebank;

    /// <summary>The sentence vector of <c>/v1/embeddings</c>: the chosen layers, pooled.</summary>
    public LayerChoice SentenceVector { get; } = options.Layers == ElmoLayerSelection.Top
        ? LayerChoice.Top(options.Pooling)
        : LayerChoice.Average(model.LayerCount, options.Pooling);

    /// <summary>404 unless <paramref name="requested"/> is null or the server's model.</summary>
    public void CheckModel(string? requested)
    {
        if (requested is not null && requested != Options.ModelId)
            throw new ApiException(StatusCodes.Status404NotFound, $"the model '{requested}' does not exist here; this server has '{Options.ModelId}'", "model", "model_not_found");
    }

    /// <summary>Tokenizes input <paramref name="index"/> (400 naming it when it has no tokens or too many).</summary>
    public IReadOnlyList<string> Tokenize(string text, int index, string param)
    {
        var tokens = string.IsNullOrWhiteSpace(text) ? [] : Tokenizer.Tokenize(text);
        return CheckTokens(tokens, index, param);
    }

    /// <summary>Checks the tokens of input <paramref name="index"/>: at least one, none empty, at most the limit.</summary>
    public IReadOnlyList<string> CheckTokens(IReadOnlyList<string> tokens, int index, string param)
    {
        if (tokens.Count == 0) throw ApiException.BadRequest($"{param}[{index}] is empty (no tokens): ELMo gives no vector for it", param, "empty_input");
        if (tokens.Count > Options.MaxTokensPerInput)
            throw ApiException.BadRequest($"{param}[{index}] has {tokens.Count} tokens, more than the server's limit of {Options.MaxTokensPerInput} per input (--max-tokens-per-input)", param, "too_many_tokens");
        for (int k = 0; k < tokens.Count; k++)
            if (string.IsNullOrEmpty(tokens[k])) throw ApiException.BadRequest($"{param}[{index}] token {k} is empty", param, "empty_token");
        return tokens;
    }

    /// <summary>400 when a request has more inputs than the limit.</summary>
    public void CheckCount(int count, string param)
    {
        if (count == 0) throw ApiException.BadRequest($"'{param}' is empty: give at least one input", param, "empty_input");
        if (count > Options.MaxInputsPerRequest)
            throw ApiException.BadRequest($"'{param}' has {count} items, more than the server's limit of {Options.MaxInputsPerRequest} per request (--max-inputs-per-request)", param, "too_many_inputs");
    }

    /// <summary>
    /// Embeds <paramref name="sentences"/> through the batching queue and returns what <paramref name="choice"/> keeps
    /// of each; 429 when the queue is full. The request being aborted (the client going away) drops the queued work.
    /// The answer's <c>Server-Timing</c> header gets the job's queue and engine times.
    /// </summary>
    public async Task<float[][]> EmbedAsync(HttpContext context, IReadOnlyList<IReadOnlyList<string>> sentences, LayerChoice choice)
    {
        var cancellation = context.RequestAborted;
        var results = new float[sentences.Count][];
        var job = new EmbeddingJob(sentences, (i, sentence) => results[i] = choice.Extract(sentence), cancellation);
        if (!batcher.TryEnqueue(job))
        {
            throw new ApiException(StatusCodes.Status429TooManyRequests,
                $"the server's queue is full ({batcher.Capacity} requests waiting, --max-queued-requests); retry later", null, "queue_full", "rate_limit_error")
            { RetryAfterSeconds = 1 };
        }
        Metrics.InProgress.Inc();
        try
        {
            using (cancellation.Register(() => job.Completion.TrySetCanceled(cancellation)))
                await job.Completion.Task.ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            throw new ApiException(StatusCodes.Status500InternalServerError, "embedding failed: " + e.Message, null, "embedding_failed");
        }
        finally
        {
            Metrics.InProgress.Dec();
        }
        context.Response.Headers["Server-Timing"] = job.ServerTiming();
        return results;
    }
}
