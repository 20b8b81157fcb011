using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace ElmoNative.Server;

/// <summary>
/// <c>POST /v1/embeddings</c> in OpenAI's shape (docs/serve.md): <c>input</c> a string or an array of strings,
/// <c>model</c>, <c>encoding_format</c> <c>float</c> or <c>base64</c> (float32 little-endian), optional
/// <c>dimensions</c> (must be D); the answer is <c>{"object": "list", "data": [{"object": "embedding", "index",
/// "embedding"}], "model", "usage": {"prompt_tokens", "total_tokens"}}</c>. Each vector is the server's sentence vector
/// (<see cref="EmbeddingService.SentenceVector"/>) of the input tokenized Penn Treebank style.
/// </summary>
internal static class OpenAiEmbeddingsEndpoint
{
    public static async Task HandleAsync(HttpContext context, EmbeddingService service)
    {
        IReadOnlyList<IReadOnlyList<string>> sentences;
        bool base64;
        using (var document = await RequestJson.ReadObjectAsync(context, service.Options.MaxRequestBodyBytes).ConfigureAwait(false))
        {
            var root = document.RootElement;
            service.CheckModel(RequestJson.OptionalString(root, "model"));
            base64 = RequestJson.OptionalString(root, "encoding_format") switch
            {
                null or "float" => false,
                "base64" => true,
                var other => throw ApiException.BadRequest($"'encoding_format' must be 'float' or 'base64', not '{other}'", "encoding_format"),
            };
            if (root.TryGetProperty("dimensions", out var dimensions) && dimensions.ValueKind != JsonValueKind.Null
                && (!dimensions.TryGetInt32(out int d) || d != service.Model.Dim))
                throw ApiException.BadRequest($"'dimensions' must be {service.Model.Dim}, the size of this model's vectors (ELMo vectors cannot be shortened)", "dimensions");
            sentences = ReadInput(root, service);
        }

        var vectors = await service.EmbedAsync(context, sentences, service.SentenceVector).ConfigureAwait(false);
        long tokens = 0;
        foreach (var sentence in sentences) tokens += sentence.Count;

        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteStartArray("data");
        for (int i = 0; i < vectors.Length; i++)
        {
            json.WriteStartObject();
            json.WriteString("object", "embedding");
            json.WriteNumber("index", i);
            if (base64) json.WriteBase64String("embedding", LittleEndianBytes(vectors[i]));
            else
            {
                json.WriteStartArray("embedding");
                foreach (float v in vectors[i]) json.WriteNumberValue(v);
                json.WriteEndArray();
            }
            json.WriteEndObject();
            if (json.BytesPending > 1 << 16) await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
        json.WriteEndArray();
        json.WriteString("model", service.Options.ModelId);
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", tokens);
        json.WriteNumber("total_tokens", tokens);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The tokens of each input; 400 naming the index of a bad one.</summary>
    private static List<IReadOnlyList<string>> ReadInput(JsonElement root, EmbeddingService service)
    {
        if (!root.TryGetProperty("input", out var input) || input.ValueKind == JsonValueKind.Null)
            throw ApiException.BadRequest("'input' is missing: give a string or an array of strings", "input", "missing_input");
        if (input.ValueKind == JsonValueKind.String) return [service.Tokenize(input.GetString()!, 0, "input")];
        if (input.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("'input' must be a string or an array of strings", "input");
        service.CheckCount(input.GetArrayLength(), "input");
        var sentences = new List<IReadOnlyList<string>>(input.GetArrayLength());
        foreach (var item in input.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
                throw ApiException.BadRequest($"input[{sentences.Count}] is not a string (this server takes text, not token ids)", "input", "invalid_input");
            sentences.Add(service.Tokenize(item.GetString()!, sentences.Count, "input"));
        }
        return sentences;
    }

    /// <summary>The float32 values as little-endian bytes (what OpenAI's base64 encoding holds).</summary>
    internal static byte[] LittleEndianBytes(float[] values)
    {
        var bytes = MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        if (!BitConverter.IsLittleEndian)
            for (int i = 0; i < bytes.Length; i += 4) Array.Reverse(bytes, i, 4);
        return bytes;
    }
}
