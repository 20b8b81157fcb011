using System.Text.Json;
using System.Text.Json.Serialization;

namespace ElmoNative.Server;

/// <summary>
/// The request and answer shapes as the OpenAPI document (<c>/openapi/v1.json</c>) and <c>/v1/models</c> show them;
/// the embedding endpoints read and write their JSON directly (docs/serve.md).
/// </summary>
internal static class OpenApiShapes
{
    /// <summary>OpenAI's embeddings request.</summary>
    /// <param name="Input">A string or an array of strings.</param>
    /// <param name="Model">The model's id (optional).</param>
    /// <param name="EncodingFormat">float (default) or base64 (float32 little-endian).</param>
    /// <param name="Dimensions">Optional; must equal the model's D.</param>
    public sealed record EmbeddingsRequest(JsonElement Input, string? Model,
        [property: JsonPropertyName("encoding_format")] string? EncodingFormat, int? Dimensions);

    /// <summary>One vector.</summary>
    public sealed record EmbeddingItem(string Object, int Index, float[] Embedding);

    /// <summary>Token counts.</summary>
    public sealed record Usage([property: JsonPropertyName("prompt_tokens")] long PromptTokens, [property: JsonPropertyName("total_tokens")] long TotalTokens);

    /// <summary>OpenAI's embeddings answer.</summary>
    public sealed record EmbeddingsResponse(string Object, EmbeddingItem[] Data, string Model, Usage Usage);

    /// <summary>The native request: <c>input</c> (text) or <c>tokens</c>, <c>layers</c>, <c>pooling</c>.</summary>
    /// <param name="Input">A string or an array of strings (tokenized as by /v1/embeddings).</param>
    /// <param name="Tokens">Pre-split sentences (instead of input).</param>
    /// <param name="Layers">all (default), top, average, or an array of L + 1 mix weights.</param>
    /// <param name="Pooling">none (default), mean or max.</param>
    /// <param name="Model">The model's id (optional).</param>
    public sealed record EmbedRequest(JsonElement? Input, string[][]? Tokens, JsonElement? Layers, string? Pooling, string? Model);

    /// <summary>One sentence of the native answer; embedding is [layers][rows][D] for all, [rows][D] otherwise (rows dropped when pooled).</summary>
    public sealed record EmbedItem(int Index, string[] Tokens, JsonElement Embedding);

    /// <summary>The native JSON answer.</summary>
    public sealed record EmbedResponse(string Object, string Model, string Layers, [property: JsonPropertyName("layer_count")] int LayerCount,
        int Dim, string? Pooling, EmbedItem[] Data, Usage Usage);

    /// <summary>OpenAI's error body.</summary>
    public sealed record ErrorResponse(ErrorDetail Error);

    /// <summary>OpenAI's error fields.</summary>
    public sealed record ErrorDetail(string Message, string Type, string? Param, string? Code);

    /// <summary>A model of <c>/v1/models</c>.</summary>
    public sealed record ModelInfo(string Id, string Object, long Created, [property: JsonPropertyName("owned_by")] string OwnedBy);

    /// <summary>The list of <c>/v1/models</c>.</summary>
    public sealed record ModelList(string Object, ModelInfo[] Data);
}
