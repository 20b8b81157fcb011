using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace ElmoNative.Server;

/// <summary>
/// The embedding server of <c>elmo serve</c> (docs/serve.md): ASP.NET Core minimal APIs on Kestrel over one
/// <see cref="ElmoModel"/>, with dynamic batching. Endpoints: <c>POST /v1/embeddings</c> (OpenAI's shape),
/// <c>POST /embed</c> (native), <c>GET /v1/models</c>, <c>GET /health</c>, <c>GET /ready</c>, <c>GET /metrics</c>
/// (Prometheus text) and <c>GET /openapi/v1.json</c>. Stopping (<see cref="StopAsync"/>, or the cancellation given to
/// <see cref="WaitForShutdownAsync"/>) stops accepting connections, finishes the requests in flight within
/// <see cref="ElmoServerOptions.ShutdownTimeout"/>, then the batching loop. The caller keeps ownership of the model.
/// </summary>
public sealed class ElmoServer : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly EmbeddingBatcher batcher;
    private int disposed;

    private ElmoServer(WebApplication app, EmbeddingBatcher batcher, EmbeddingService service)
    {
        this.app = app;
        this.batcher = batcher;
        Service = service;
    }

    internal EmbeddingService Service { get; }

    /// <summary>The addresses the server listens on (a port 0 of <see cref="ElmoServerOptions.Urls"/> replaced by the port taken).</summary>
    public IReadOnlyList<string> Urls { get; private set; } = [];

    /// <summary>Sentences embedded since start.</summary>
    public long SentencesEmbedded => (long)Service.Metrics.Sentences.Value;

    /// <summary>Tokens embedded since start.</summary>
    public long TokensEmbedded => (long)Service.Metrics.Tokens.Value;

    /// <summary>Starts a server over <paramref name="model"/>; it answers once this returns.</summary>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public static async Task<ElmoServer> StartAsync(ElmoModel model, ElmoServerOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var metrics = new ServerMetrics();
        var batcher = new EmbeddingBatcher(model, options, metrics);
        var service = new EmbeddingService(model, options, batcher, metrics);
        var app = Build(service, metrics);
        var server = new ElmoServer(app, batcher, service);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        server.Urls = [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? []];
        metrics.ModelLoaded.Set(1);
        return server;
    }

    private static WebApplication Build(EmbeddingService service, ServerMetrics metrics)
    {
        var options = service.Options;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
        builder.Logging.AddFilter((category, level) => level >= LogLevel.Warning);
        builder.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        // The server stops when told (StopAsync, or elmo's own SIGTERM / Ctrl+C handling), not on signals of its own.
        builder.Services.AddSingleton<IHostLifetime, ManualLifetime>();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
        });
        builder.Services.AddOpenApi(o => o.AddOperationTransformer(async (operation, context, cancellationToken) =>
        {
            // The request shapes of the two embedding endpoints, which read their bodies themselves.
            var shape = context.Description.RelativePath switch
            {
                "v1/embeddings" => typeof(OpenApiShapes.EmbeddingsRequest),
                "embed" => typeof(OpenApiShapes.EmbedRequest),
                _ => null,
            };
            if (shape is null) return;
            var schema = await context.GetOrCreateSchemaAsync(shape, null, cancellationToken).ConfigureAwait(false);
            operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
            };
        }));

        var app = builder.Build();
        app.UseRouting();
        app.UseHttpMetrics(o => o.SetMetricFactory(metrics.Factory));
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context).ConfigureAwait(false);
            }
            catch (ApiException e)
            {
                await e.WriteAsync(context).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away: nothing to answer.
            }
        });

        var stopping = app.Lifetime.ApplicationStopping;
        // Handlers that return IResult (Results.Empty: they write the answer themselves) are route handlers, which carry
        // the OpenAPI metadata. The bodies are read whatever their Content-Type (curl -d sends a form's), so the request
        // shapes are not declared with Accepts, which would refuse other types with 415; docs/serve.md describes them.
        app.MapPost("/v1/embeddings", async (HttpContext context) =>
        {
            await OpenAiEmbeddingsEndpoint.HandleAsync(context, service).ConfigureAwait(false);
            return Results.Empty;
        })
            .Produces<OpenApiShapes.EmbeddingsResponse>()
            .Produces<OpenApiShapes.ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<OpenApiShapes.ErrorResponse>(StatusCodes.Status404NotFound)
            .Produces<OpenApiShapes.ErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<OpenApiShapes.ErrorResponse>(StatusCodes.Status429TooManyRequests)
            .WithName("CreateEmbeddings")
            .WithSummary("Sentence vectors in OpenAI's embeddings shape");
        app.MapPost("/embed", async (HttpContext context) =>
        {
            await NativeEmbedEndpoint.HandleAsync(context, service).ConfigureAwait(false);
            return Results.Empty;
        })
            .Produces<OpenApiShapes.EmbedResponse>(StatusCodes.Status200OK, "application/json", NativeEmbedEndpoint.BinaryMediaType)
            .Produces<OpenApiShapes.ErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<OpenApiShapes.ErrorResponse>(StatusCodes.Status429TooManyRequests)
            .WithName("Embed")
            .WithSummary("Per-token ELMo vectors of chosen layers, optionally pooled; JSON or binary float32");
        app.MapGet("/v1/models", () => new OpenApiShapes.ModelList("list", [Model(options)]))
            .WithName("ListModels");
        app.MapGet("/v1/models/{id}", (string id) =>
        {
            service.CheckModel(id);
            return Model(options);
        }).WithName("GetModel");
        app.MapGet("/health", () => Results.Text("ok\n")).WithName("Health").WithSummary("200 while the process runs");
        app.MapGet("/ready", () => stopping.IsCancellationRequested
            ? Results.Text("stopping\n", statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Text("ready\n")).WithName("Ready").WithSummary("200 once the model is loaded, 503 while stopping");
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapOpenApi();
        return app;
    }

    private static OpenApiShapes.ModelInfo Model(ElmoServerOptions options) => new(options.ModelId, "model", 0, "elmonative");

    /// <summary>Completes when the server has stopped: after <see cref="StopAsync"/>, or after <paramref name="cancellationToken"/> is canceled (which stops it).</summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken = default)
    {
        await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
        await batcher.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops accepting, finishes the requests in flight (within the shutdown timeout) and the queued work.</summary>
    public async Task StopAsync()
    {
        await app.StopAsync().ConfigureAwait(false);
        await batcher.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the server (as <see cref="StopAsync"/>) and frees it; the model is not disposed.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        finally
        {
            await app.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A host lifetime that waits for nothing and hooks no signal.</summary>
    private sealed class ManualLifetime : IHostLifetime
    {
        public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
