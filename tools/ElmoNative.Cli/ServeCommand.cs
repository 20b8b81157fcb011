using System.Globalization;
using ElmoNative.Extensions.AI;
using ElmoNative.Server;

namespace ElmoNative.Cli;

/// <summary>
/// <c>elmo serve</c>: the embedding server of tools/ElmoNative.Server (docs/serve.md) over one model, until Ctrl+C or
/// SIGTERM, which stop it gracefully (no new connections, the requests in flight answered) with exit code 0.
/// </summary>
internal static class ServeCommand
{
    /// <summary>The command and its options.</summary>
    public static ElmoCommand Create()
    {
        var command = new ElmoCommand("serve", "an HTTP embedding server: OpenAI's /v1/embeddings, /embed, metrics, dynamic batching", Run)
        {
            Synopsis =
            [
                "elmo serve [--model DIR|NAME | --options F --weights F] [--urls http://127.0.0.1:8080] [--model-id ID]",
                "           [--layers average|top] [--pool mean|max] [--max-batch-tokens N] [--max-batch-delay-ms N]",
                "           [--max-queued-requests N] [--max-inputs-per-request N] [--max-tokens-per-input N] [--threads N]",
            ],
            Details = """
                Serves the model over HTTP (ASP.NET Core on Kestrel) until Ctrl+C or SIGTERM: POST /v1/embeddings in
                OpenAI's shape (any OpenAI client works with its base URL set to http://HOST:PORT/v1), POST /embed (per-token
                vectors of all, top or average layers or a mix, optionally pooled; JSON or binary float32), GET /v1/models,
                /health, /ready, /metrics (Prometheus text) and /openapi/v1.json. Requests of all clients wait in one queue
                and are embedded together (stateless: every answer is bit for bit what the input alone gives). A sentence
                vector of /v1/embeddings is the --pool of the --layers of the input tokenized Penn Treebank style, as
                ElmoNative.Extensions.AI's generator makes it. docs/serve.md describes the endpoints, errors and metrics.
                """,
            Notes = """
                Ctrl+C or SIGTERM stops accepting connections, answers the requests in flight (within --shutdown-timeout)
                and exits 0. One line on stderr says where the server listens; a port 0 in --urls takes a free port.
                """,
        };
        ModelSource.AddOptions(command);
        command.Value("--urls", "URLS", $"addresses to listen on, separated by ';' (default {ElmoServerOptions.DefaultUrls}; http://0.0.0.0:8080 for every interface)");
        command.Value("--model-id", "ID", "the model's name in requests and answers (default: the name given to --model, or the model folder's name)");
        command.Value("--layers", "average|top", "the layers of a /v1/embeddings sentence vector: the mean of all layers (default) or the top LSTM layer");
        command.Value("--pool", "mean|max", "the pooling over tokens of a /v1/embeddings sentence vector (default mean)");
        command.Value("--max-batch-tokens", "N", $"tokens of queued requests embedded together in one engine batch (default {ElmoServerOptions.DefaultMaxBatchTokens})");
        command.Value("--max-batch-delay-ms", "N", $"how long to wait for more requests once one is queued and the batch is below --max-batch-tokens (default {ElmoServerOptions.DefaultMaxBatchDelayMilliseconds}: never wait, requests that arrive while a batch runs make up the next one)");
        command.Value("--max-queued-requests", "N", $"requests waiting for the engine before more are refused with 429 and Retry-After (default {ElmoServerOptions.DefaultMaxQueuedRequests})");
        command.Value("--max-inputs-per-request", "N", $"most inputs in one request (default {ElmoServerOptions.DefaultMaxInputsPerRequest})");
        command.Value("--max-tokens-per-input", "N", $"most tokens of one input (default {ElmoServerOptions.DefaultMaxTokensPerInput})");
        command.Value("--max-request-bytes", "N", $"most bytes of a request body; larger ones are refused with 413 (default {ElmoServerOptions.DefaultMaxRequestBodyBytes})");
        command.Value("--shutdown-timeout", "SECONDS", "how long Ctrl+C or SIGTERM waits for the requests in flight (default 20)");
        CommonOptions.Threads(command);
        CommonOptions.CacheSize(command);
        CommonOptions.AddQuiet(command);
        return command;
    }

    private static int Run(CommandContext context, OptionValues args)
    {
        var options = new ElmoServerOptions
        {
            Urls = args.Value("--urls") ?? ElmoServerOptions.DefaultUrls,
            MaxBatchTokens = args.PositiveInt("--max-batch-tokens", ElmoServerOptions.DefaultMaxBatchTokens),
            MaxBatchDelay = TimeSpan.FromMilliseconds(args.OptionalNonNegativeInt("--max-batch-delay-ms") ?? ElmoServerOptions.DefaultMaxBatchDelayMilliseconds),
            MaxQueuedRequests = args.OptionalNonNegativeInt("--max-queued-requests") ?? ElmoServerOptions.DefaultMaxQueuedRequests,
            MaxInputsPerRequest = args.PositiveInt("--max-inputs-per-request", ElmoServerOptions.DefaultMaxInputsPerRequest),
            MaxTokensPerInput = args.PositiveInt("--max-tokens-per-input", ElmoServerOptions.DefaultMaxTokensPerInput),
            MaxRequestBodyBytes = args.PositiveInt("--max-request-bytes", (int)ElmoServerOptions.DefaultMaxRequestBodyBytes),
            ShutdownTimeout = TimeSpan.FromSeconds(args.OptionalNonNegativeInt("--shutdown-timeout") ?? 20),
            Layers = args.Value("--layers") switch
            {
                null or "average" => ElmoLayerSelection.Average,
                "top" => ElmoLayerSelection.Top,
                var other => throw args.Error($"--layers must be average or top, not '{other}'"),
            },
            Pooling = args.Value("--pool") switch
            {
                null or "mean" => Pooling.Mean,
                "max" => Pooling.Max,
                var other => throw args.Error($"--pool must be mean or max, not '{other}'"),
            },
        };
        foreach (string url in options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (!Uri.TryCreate(url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) || uri.Scheme != "http")
                throw args.Error($"--urls: '{url}' is not an http:// address (e.g. http://127.0.0.1:8080)");
        int? cacheSize = args.OptionalNonNegativeInt("--cache-size");
        var source = ModelSource.Resolve(context, args);
        options.ModelId = args.Value("--model-id") ?? ModelId(args.Value("--model"), source);
        // Ctrl+C or SIGTERM: the server gets its shutdown timeout to answer the requests in flight before elmo's
        // watchdog ends the process (Program.StopGrace).
        Program.StopGrace = options.ShutdownTimeout + TimeSpan.FromSeconds(5);

        using var model = source.LoadModel(args.OptionalPositiveInt("--threads"));
        if (cacheSize is { } capacity) model.TokenCacheCapacity = capacity;
        ElmoServer server;
        try
        {
            server = ElmoServer.StartAsync(model, options, context.Cancellation).GetAwaiter().GetResult();
        }
        catch (IOException e)
        {
            // Kestrel's "address already in use" and its kin.
            throw CliException.DataError($"--urls {options.Urls}: {e.Message}");
        }
        try
        {
            context.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"serve: listening on {string.Join(' ', server.Urls)} (model '{options.ModelId}', {model.LayerCount} layers of {model.Dim}); Ctrl+C stops"));
            context.Error.Flush();
            server.WaitForShutdownAsync(context.Cancellation).GetAwaiter().GetResult();
        }
        finally
        {
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        context.Summary = new RunSummary(string.Create(CultureInfo.InvariantCulture, $"{server.SentencesEmbedded} sentences, {server.TokensEmbedded} tokens"));
        return 0;
    }

    /// <summary>The name given to --model when it is a published model's, else the model folder's name.</summary>
    private static string ModelId(string? model, ModelSource source)
    {
        if (model is not null && !Directory.Exists(model) && !File.Exists(model)) return model;
        string folder = Path.GetDirectoryName(Path.GetFullPath(source.OptionsPath)) ?? "elmo";
        return Path.GetFileName(Path.TrimEndingDirectorySeparator(folder)) is { Length: > 0 } name ? name : "elmo";
    }
}
