using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace ElmoNative.Server;

/// <summary>
/// A request the server refuses, answered in OpenAI's error shape:
/// <c>{"error": {"message", "type", "param", "code"}}</c> with <see cref="Status"/> (docs/serve.md, "Errors").
/// </summary>
internal sealed class ApiException(int status, string message, string? param = null, string? code = null, string? type = null) : Exception(message)
{
    /// <summary>The HTTP status.</summary>
    public int Status { get; } = status;

    /// <summary>The request field at fault (<c>input</c>, <c>model</c>, ...), or null.</summary>
    public string? Param { get; } = param;

    /// <summary>A machine-readable code (<c>model_not_found</c>, ...), or null.</summary>
    public string? Code { get; } = code;

    /// <summary>OpenAI's error type: <c>invalid_request_error</c> for 4xx unless given, <c>server_error</c> for 5xx.</summary>
    public string Type { get; } = type ?? (status >= 500 ? "server_error" : "invalid_request_error");

    /// <summary>Seconds a client should wait before retrying (the <c>Retry-After</c> header), or null.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>400 about a field.</summary>
    public static ApiException BadRequest(string message, string? param = null, string? code = null) => new(StatusCodes.Status400BadRequest, message, param, code);

    /// <summary>Writes the error as the response (when the response has not started).</summary>
    public async Task WriteAsync(HttpContext context)
    {
        if (context.Response.HasStarted) return;
        context.Response.StatusCode = Status;
        if (RetryAfterSeconds is { } seconds) context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", Message);
        json.WriteString("type", Type);
        if (Param is null) json.WriteNull("param");
        else json.WriteString("param", Param);
        if (Code is null) json.WriteNull("code");
        else json.WriteString("code", Code);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
