using System.Text;
using System.Text.Json;

namespace ElmoNative.Server.Tests;

/// <summary>
/// Bad requests are answered in OpenAI's error shape (<c>{"error": {"message", "type", "param", "code"}}</c>) with the
/// documented status, the message naming the offending index; the server keeps answering afterwards.
/// </summary>
[Collection("model")]
public sealed class ErrorTests(DefaultModel fixture)
{
    private static async Task<JsonElement> ErrorAsync(HttpResponseMessage response, int status, string? param, string? code)
    {
        var json = await TestText.JsonAsync(response, status);
        var error = json.GetProperty("error");
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.False(string.IsNullOrEmpty(error.GetProperty("type").GetString()));
        return error;
    }

    [Theory]
    [InlineData("v1/embeddings", """{"input": ""}""", 400, "input", "empty_input", "input[0]")]
    [InlineData("v1/embeddings", """{"input": ["fine", "   "]}""", 400, "input", "empty_input", "input[1]")]
    [InlineData("v1/embeddings", """{"input": []}""", 400, "input", "empty_input", "'input' is empty")]
    [InlineData("v1/embeddings", """{"model": "default"}""", 400, "input", "missing_input", "'input' is missing")]
    [InlineData("v1/embeddings", """{"input": ["a", 5]}""", 400, "input", "invalid_input", "input[1] is not a string")]
    [InlineData("v1/embeddings", """{"input": [[1, 2]]}""", 400, "input", "invalid_input", "input[0] is not a string")]
    [InlineData("v1/embeddings", """{"input": {"text": "a"}}""", 400, "input", null, "'input' must be")]
    [InlineData("v1/embeddings", """{"input": ["a", "b", "c", "d"]}""", 400, "input", "too_many_inputs", "4 items")]
    [InlineData("v1/embeddings", """{"input": ["a", "one two three four five six seven eight nine"]}""", 400, "input", "too_many_tokens", "input[1] has 9 tokens")]
    [InlineData("v1/embeddings", """{"input": "a", "model": "gpt-4"}""", 404, "model", "model_not_found", "'gpt-4'")]
    [InlineData("v1/embeddings", """{"input": "a", "encoding_format": "int8"}""", 400, "encoding_format", null, "'int8'")]
    [InlineData("v1/embeddings", """{"input": "a", "dimensions": 3}""", 400, "dimensions", null, "'dimensions' must be 256")]
    [InlineData("v1/embeddings", """{"input": "a",""", 400, null, "invalid_json", "not valid JSON")]
    [InlineData("v1/embeddings", """[1, 2]""", 400, null, "invalid_json", "JSON object")]
    [InlineData("v1/embeddings", "", 400, null, null, "no body")]
    [InlineData("embed", """{"tokens": [["a", ""]]}""", 400, "tokens", "empty_token", "tokens[0] token 1 is empty")]
    [InlineData("embed", """{"tokens": [["a"], "b"]}""", 400, "tokens", "invalid_input", "tokens[1]")]
    [InlineData("embed", """{"tokens": [["a"]], "input": "a"}""", 400, "tokens", null, "not both")]
    [InlineData("embed", """{"tokens": [["a"]], "layers": [1, 2]}""", 400, "layers", null, "3 mix weights")]
    [InlineData("embed", """{"tokens": [["a"]], "layers": "middle"}""", 400, "layers", null, "'middle'")]
    [InlineData("embed", """{"tokens": [["a"]], "pooling": "sum"}""", 400, "pooling", null, "'sum'")]
    [InlineData("embed", """{"tokens": [["1", "2", "3", "4", "5", "6", "7", "8", "9"]]}""", 400, "tokens", "too_many_tokens", "tokens[0] has 9 tokens")]
    public async Task BadRequestsGetOpenAiShapedErrors(string path, string body, int status, string? param, string? code, string messagePart)
    {
        await using var server = await RunningServer.StartAsync(fixture.Model, o =>
        {
            o.MaxInputsPerRequest = 3;
            o.MaxTokensPerInput = 8;
        });
        var error = await ErrorAsync(await server.PostAsync(path, body), status, param, code);
        Assert.Contains(messagePart, error.GetProperty("message").GetString(), StringComparison.Ordinal);
        // Still serving.
        await TestText.JsonAsync(await server.PostAsync("v1/embeddings", """{"input": "still here"}"""));
    }

    [Fact]
    public async Task BodiesOverTheLimitAre413()
    {
        await using var server = await RunningServer.StartAsync(fixture.Model, o => o.MaxRequestBodyBytes = 1000);
        string big = JsonSerializer.Serialize(new { input = string.Join(' ', Enumerable.Repeat("word", 300)) });
        await ErrorAsync(await server.PostAsync("v1/embeddings", big), 413, null, "request_too_large");
        // Without a Content-Length (chunked), the limit still holds: the server answers 413 as soon as the limit is
        // passed and closes the connection, so a client still sending its last chunk may see the connection end
        // before it reads that answer (a race HTTP allows). Either way the body is refused, never embedded.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "v1/embeddings") { Content = new StreamContent(new NoLengthStream(Encoding.UTF8.GetBytes(big))) };
        chunked.Headers.TransferEncodingChunked = true;
        HttpResponseMessage? answer = null;
        try
        {
            answer = await server.Http.SendAsync(chunked);
        }
        catch (HttpRequestException)
        {
        }
        if (answer is not null) await ErrorAsync(answer, 413, null, "request_too_large");
        Assert.Equal(0, await server.MetricAsync("elmo_embedded_sentences_total"));
        await TestText.JsonAsync(await server.PostAsync("v1/embeddings", """{"input": "small"}"""));
    }

    [Fact]
    public async Task AFullQueueIs429WithRetryAfter()
    {
        await using var server = await RunningServer.StartAsync(fixture.Model, o => o.MaxQueuedRequests = 0);
        var response = await server.PostAsync("v1/embeddings", """{"input": "no room"}""");
        var error = await ErrorAsync(response, 429, null, "queue_full");
        Assert.Equal("rate_limit_error", error.GetProperty("type").GetString());
        Assert.Equal("1", Assert.Single(response.Headers.GetValues("Retry-After")));
        Assert.Equal(1, await server.MetricAsync("elmo_requests_rejected_total"));
    }

    [Fact]
    public async Task UnderABurstEveryAnswerIs200Or429AndEvery200IsRight()
    {
        await using var server = await RunningServer.StartAsync(fixture.Model, o => o.MaxQueuedRequests = 2);
        string input = JsonSerializer.Serialize(new { input = TestText.Sentences.Take(8).ToArray() });
        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(_ => server.PostAsync("v1/embeddings", input)));
        var statuses = responses.Select(r => (int)r.StatusCode).ToArray();
        Assert.All(statuses, s => Assert.True(s is 200 or 429, $"status {s}"));
        Assert.Contains(200, statuses);
        foreach (var r in responses.Where(r => (int)r.StatusCode == 429)) Assert.True(r.Headers.Contains("Retry-After"));
        Assert.Equal(statuses.Count(s => s == 429), await server.MetricAsync("elmo_requests_rejected_total"));
    }

    /// <summary>A stream whose length is unknown, so that HttpClient sends it chunked.</summary>
    private sealed class NoLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
