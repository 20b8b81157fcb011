using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;

namespace ElmoNative.Server;

/// <summary>
/// <c>POST /embed</c>, the native endpoint (docs/serve.md, "POST /embed"): raw text (<c>input</c>, tokenized as by
/// <c>/v1/embeddings</c>) or pre-split <c>tokens</c>; <c>layers</c> <c>all</c> (default), <c>top</c>, <c>average</c>
/// or L + 1 mix weights; <c>pooling</c> <c>none</c> (default), <c>mean</c> or <c>max</c>. JSON, or with
/// <c>Accept: application/octet-stream</c> the binary form of <see cref="BinaryMagic"/>.
/// </summary>
internal static class NativeEmbedEndpoint
{
    /// <summary>The binary answer's first four bytes.</summary>
    public const string BinaryMagic = "ELMO";

    /// <summary>The binary answer's format version.</summary>
    public const int BinaryVersion = 1;

    /// <summary>The media type of the binary answer.</summary>
    public const string BinaryMediaType = "application/octet-stream";

    public static async Task HandleAsync(HttpContext context, EmbeddingService service)
    {
        IReadOnlyList<IReadOnlyList<string>> sentences;
        LayerChoice choice;
        using (var document = await RequestJson.ReadObjectAsync(context, service.Options.MaxRequestBodyBytes).ConfigureAwait(false))
        {
            var root = document.RootElement;
            service.CheckModel(RequestJson.OptionalString(root, "model"));
            var pooling = RequestJson.OptionalString(root, "pooling") switch
            {
                null or "none" => (Pooling?)null,
                "mean" => Pooling.Mean,
                "max" => Pooling.Max,
                var other => throw ApiException.BadRequest($"'pooling' must be none, mean or max, not '{other}'", "pooling"),
            };
            choice = ReadLayers(root, service.Model.LayerCount, pooling);
            sentences = ReadSentences(root, service);
        }

        var values = await service.EmbedAsync(context, sentences, choice).ConfigureAwait(false);
        int layers = choice.OutputLayers(service.Model.LayerCount), d = service.Model.Dim;
        bool binary = context.Request.GetTypedHeaders().Accept.Any(a => a.MediaType.Equals(BinaryMediaType, StringComparison.OrdinalIgnoreCase));
        if (binary) await WriteBinaryAsync(context, sentences, values, layers, d, choice.Pooling is not null).ConfigureAwait(false);
        else await WriteJsonAsync(context, service, sentences, values, choice, layers, d).ConfigureAwait(false);
    }

    private static LayerChoice ReadLayers(JsonElement root, int layerCount, Pooling? pooling)
    {
        if (!root.TryGetProperty("layers", out var layers) || layers.ValueKind == JsonValueKind.Null) return LayerChoice.AllLayers(pooling);
        if (layers.ValueKind == JsonValueKind.String)
        {
            return layers.GetString() switch
            {
                "all" => LayerChoice.AllLayers(pooling),
                "top" => LayerChoice.Top(pooling),
                "average" => LayerChoice.Average(layerCount, pooling),
                var other => throw ApiException.BadRequest($"'layers' must be all, top, average or {layerCount} mix weights, not '{other}'", "layers"),
            };
        }
        if (layers.ValueKind != JsonValueKind.Array || layers.GetArrayLength() != layerCount)
            throw ApiException.BadRequest($"'layers' must be all, top, average or an array of {layerCount} mix weights (one per layer)", "layers");
        var weights = new float[layerCount];
        int k = 0;
        foreach (var w in layers.EnumerateArray())
        {
            if (w.ValueKind != JsonValueKind.Number || !w.TryGetSingle(out weights[k]) || !float.IsFinite(weights[k]))
                throw ApiException.BadRequest($"layers[{k}] is not a finite number", "layers");
            k++;
        }
        return LayerChoice.Weighted(weights, pooling);
    }

    private static List<IReadOnlyList<string>> ReadSentences(JsonElement root, EmbeddingService service)
    {
        bool hasInput = root.TryGetProperty("input", out var input) && input.ValueKind != JsonValueKind.Null;
        bool hasTokens = root.TryGetProperty("tokens", out var tokens) && tokens.ValueKind != JsonValueKind.Null;
        if (hasInput == hasTokens) throw ApiException.BadRequest("give either 'input' (text) or 'tokens' (arrays of tokens), not both or neither", hasInput ? "tokens" : "input");
        if (hasInput)
        {
            if (input.ValueKind == JsonValueKind.String) return [service.Tokenize(input.GetString()!, 0, "input")];
            if (input.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("'input' must be a string or an array of strings", "input");
            service.CheckCount(input.GetArrayLength(), "input");
            var texts = new List<IReadOnlyList<string>>();
            foreach (var item in input.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String) throw ApiException.BadRequest($"input[{texts.Count}] is not a string", "input", "invalid_input");
                texts.Add(service.Tokenize(item.GetString()!, texts.Count, "input"));
            }
            return texts;
        }
        if (tokens.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest("'tokens' must be an array of arrays of strings", "tokens");
        service.CheckCount(tokens.GetArrayLength(), "tokens");
        var sentences = new List<IReadOnlyList<string>>();
        foreach (var item in tokens.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Array) throw ApiException.BadRequest($"tokens[{sentences.Count}] is not an array of strings", "tokens", "invalid_input");
            if (item.GetArrayLength() > service.Options.MaxTokensPerInput) service.CheckTokens(new string[item.GetArrayLength()], sentences.Count, "tokens");
            var sentence = new List<string>(item.GetArrayLength());
            foreach (var token in item.EnumerateArray())
            {
                if (token.ValueKind != JsonValueKind.String) throw ApiException.BadRequest($"tokens[{sentences.Count}] token {sentence.Count} is not a string", "tokens", "invalid_input");
                sentence.Add(token.GetString()!);
            }
            sentences.Add(service.CheckTokens(sentence, sentences.Count, "tokens"));
        }
        return sentences;
    }

    private static async Task WriteJsonAsync(HttpContext context, EmbeddingService service, IReadOnlyList<IReadOnlyList<string>> sentences,
        float[][] values, LayerChoice choice, int layers, int d)
    {
        context.Response.ContentType = "application/json";
        await using var json = new Utf8JsonWriter(context.Response.Body);
        json.WriteStartObject();
        json.WriteString("object", "list");
        json.WriteString("model", service.Options.ModelId);
        json.WriteString("layers", choice.Name);
        json.WriteNumber("layer_count", layers);
        json.WriteNumber("dim", d);
        if (choice.Pooling is { } pooling) json.WriteString("pooling", pooling == Pooling.Mean ? "mean" : "max");
        else json.WriteNull("pooling");
        json.WriteStartArray("data");
        long total = 0;
        for (int i = 0; i < sentences.Count; i++)
        {
            total += sentences[i].Count;
            json.WriteStartObject();
            json.WriteNumber("index", i);
            json.WriteStartArray("tokens");
            foreach (string token in sentences[i]) json.WriteStringValue(token);
            json.WriteEndArray();
            // all: [layers][rows][D] (rows: tokens, or one pooled vector: [layers][D]); one layer: [rows][D] or [D].
            int rows = choice.Pooling is null ? sentences[i].Count : 1;
            json.WritePropertyName("embedding");
            if (choice.All) json.WriteStartArray();
            for (int l = 0; l < layers; l++)
            {
                if (choice.Pooling is null) json.WriteStartArray();
                for (int r = 0; r < rows; r++)
                {
                    json.WriteStartArray();
                    foreach (float v in values[i].AsSpan((l * rows + r) * d, d)) json.WriteNumberValue(v);
                    json.WriteEndArray();
                }
                if (choice.Pooling is null) json.WriteEndArray();
            }
            if (choice.All) json.WriteEndArray();
            json.WriteEndObject();
            if (json.BytesPending > 1 << 16) await json.FlushAsync(context.RequestAborted).ConfigureAwait(false);
        }
        json.WriteEndArray();
        json.WriteStartObject("usage");
        json.WriteNumber("prompt_tokens", total);
        json.WriteNumber("total_tokens", total);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// The binary answer, all little-endian (docs/serve.md): "ELMO", then uint32 version (1), sentence count, layers per
    /// sentence, D and pooled (0 or 1); then per sentence uint32 n (its tokens) and float32 values [layers, rows, D]
    /// with rows = n, or 1 when pooled.
    /// </summary>
    private static async Task WriteBinaryAsync(HttpContext context, IReadOnlyList<IReadOnlyList<string>> sentences, float[][] values,
        int layers, int d, bool pooled)
    {
        context.Response.ContentType = BinaryMediaType;
        var body = context.Response.Body;
        var header = new byte[24];
        System.Text.Encoding.ASCII.GetBytes(BinaryMagic, header);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4), BinaryVersion);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(8), (uint)sentences.Count);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(12), (uint)layers);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(16), (uint)d);
        BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(20), pooled ? 1u : 0u);
        await body.WriteAsync(header, context.RequestAborted).ConfigureAwait(false);
        var count = new byte[4];
        for (int i = 0; i < sentences.Count; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(count, (uint)sentences[i].Count);
            await body.WriteAsync(count, context.RequestAborted).ConfigureAwait(false);
            await body.WriteAsync(OpenAiEmbeddingsEndpoint.LittleEndianBytes(values[i]), context.RequestAborted).ConfigureAwait(false);
        }
    }
}
