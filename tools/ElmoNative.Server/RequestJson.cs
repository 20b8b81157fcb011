using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace ElmoNative.Server;

/// <summary>Reads a request's JSON body within the size limit: 413 beyond it, 400 for malformed JSON (docs/serve.md, "Errors").</summary>
internal static class RequestJson
{
    private static readonly JsonDocumentOptions Options = new() { MaxDepth = 16 };

    /// <summary>The body of <paramref name="context"/>'s request as a JSON object.</summary>
    public static async Task<JsonDocument> ReadObjectAsync(HttpContext context, long maxBytes)
    {
        if (context.Request.ContentLength is { } length && length > maxBytes) throw TooLarge(maxBytes);
        var body = new MemoryStream();
        var buffer = new byte[16384];
        try
        {
            for (int read; (read = await context.Request.Body.ReadAsync(buffer, context.RequestAborted).ConfigureAwait(false)) > 0;)
            {
                if (body.Length + read > maxBytes) throw TooLarge(maxBytes);
                body.Write(buffer, 0, read);
            }
        }
        catch (BadHttpRequestException e)
        {
            throw e.StatusCode == StatusCodes.Status413PayloadTooLarge ? TooLarge(maxBytes) : new ApiException(e.StatusCode, "bad request: " + e.Message);
        }
        if (body.Length == 0) throw ApiException.BadRequest("the request has no body: a JSON object was expected");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length), Options);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the body is not valid JSON: {e.Message}", code: "invalid_json");
        }
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw ApiException.BadRequest("the body must be a JSON object", code: "invalid_json");
        }
        return document;
    }

    private static ApiException TooLarge(long maxBytes) =>
        new(StatusCodes.Status413PayloadTooLarge, $"the request body is larger than the server's limit of {maxBytes} bytes (--max-request-bytes)", code: "request_too_large");

    /// <summary>An optional string field; 400 when it is there but not a string.</summary>
    public static string? OptionalString(JsonElement root, string name)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.ValueKind != JsonValueKind.String) throw ApiException.BadRequest($"'{name}' must be a string", name);
        return value.GetString();
    }
}
