using System.Text.Json;

namespace ElmoNative.Server.Tests;

/// <summary>The service endpoints: models, health, readiness, Prometheus metrics and the OpenAPI document.</summary>
[Collection("model")]
public sealed class EndpointTests(DefaultModel fixture)
{
    [Fact]
    public async Task ModelsHealthAndReadyAnswer()
    {
        await using var server = await RunningServer.StartAsync(fixture.Model);
        var models = await TestText.JsonAsync(await server.Http.GetAsync("v1/models"));
        Assert.Equal("list", models.GetProperty("object").GetString());
        var model = Assert.Single(models.GetProperty("data").EnumerateArray());
        Assert.Equal("default", model.GetProperty("id").GetString());
        Assert.Equal("model", model.GetProperty("object").GetString());
        Assert.Equal("default", (await TestText.JsonAsync(await server.Http.GetAsync("v1/models/default"))).GetProperty("id").GetString());
        Assert.Equal(404, (int)(await server.Http.GetAsync("v1/models/other")).StatusCode);
        Assert.Equal("ok\n", await server.Http.GetStringAsync("health"));
        Assert.Equal("ready\n", await server.Http.GetStringAsync("ready"));
    }

    [Fact]
    public async Task MetricsCountRequestsBatchesTokensAndTheCache()
    {
        await using var server = await RunningServer.StartAsync(fixture.Model);
        await TestText.JsonAsync(await server.PostAsync("v1/embeddings", """{"input": ["The bank of the river .", "The bank"]}"""));
        await TestText.JsonAsync(await server.PostAsync("v1/embeddings", """{"input": "x", "model": "nope"}"""), 404);
        using var response = await server.Http.GetAsync("metrics");
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        string text = await response.Content.ReadAsStringAsync();
        Assert.Contains("http_requests_received_total{code=\"200\",method=\"POST\",controller=\"\",action=\"\",endpoint=\"/v1/embeddings\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("http_requests_received_total{code=\"404\",method=\"POST\",controller=\"\",action=\"\",endpoint=\"/v1/embeddings\"} 1", text, StringComparison.Ordinal);
        Assert.Contains("http_request_duration_seconds_bucket{", text, StringComparison.Ordinal);
        Assert.Equal(8, await server.MetricAsync("elmo_embedded_tokens_total"));
        Assert.Equal(8, await server.MetricAsync("elmo_batch_tokens_sum"));
        Assert.Equal(2, await server.MetricAsync("elmo_batch_sentences_sum"));
        Assert.Equal(0, await server.MetricAsync("elmo_queue_length"));
        Assert.Equal(1, await server.MetricAsync("elmo_model_loaded"));
        Assert.True(await server.MetricAsync("elmo_tokens_per_second") > 0);
        // The model is shared by the tests, so its cache's hit rate is whatever they left; it is a rate.
        Assert.InRange((await server.MetricAsync("elmo_token_cache_hit_ratio"))!.Value, 0, 1);
        Assert.Equal(fixture.Model.TokenCacheStatistics.HitRate, (await server.MetricAsync("elmo_token_cache_hit_ratio"))!.Value, 12);
    }

    [Theory]
    [InlineData("v1/embeddings", """{"input": ["The bank of the river .", "The bank"]}""")]
    [InlineData("embed", """{"input": ["The bank of the river ."]}""")]
    public async Task AnswersCarryTheirQueueAndEngineTimes(string path, string body)
    {
        await using var server = await RunningServer.StartAsync(fixture.Model);
        using var response = await server.PostAsync(path, body);
        Assert.Equal(200, (int)response.StatusCode);
        string timing = Assert.Single(response.Headers.GetValues("Server-Timing"));
        // "queue;dur=0.05, engine;dur=3.20": both present, in that order, non-negative milliseconds.
        var entries = timing.Split(", ").Select(e => e.Split(";dur=")).ToArray();
        Assert.Equal(["queue", "engine"], entries.Select(e => e[0]));
        foreach (var entry in entries)
            Assert.True(double.Parse(entry[1], System.Globalization.CultureInfo.InvariantCulture) >= 0, timing);
        Assert.True(double.Parse(entries[1][1], System.Globalization.CultureInfo.InvariantCulture) > 0, "the engine took no time: " + timing);
    }

    [Fact]
    public async Task TheOpenApiDocumentDescribesTheEndpoints()
    {
        await using var server = await RunningServer.StartAsync(fixture.Model);
        var document = await TestText.JsonAsync(await server.Http.GetAsync("openapi/v1.json"));
        var paths = document.GetProperty("paths");
        foreach (string path in new[] { "/v1/embeddings", "/embed", "/v1/models", "/health", "/ready" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is not in the OpenAPI document");
        var request = paths.GetProperty("/v1/embeddings").GetProperty("post").GetProperty("requestBody");
        Assert.Contains("encoding_format", request.GetRawText(), StringComparison.Ordinal);
        Assert.True(paths.GetProperty("/v1/embeddings").GetProperty("post").GetProperty("responses").TryGetProperty("429", out _));
    }
}
