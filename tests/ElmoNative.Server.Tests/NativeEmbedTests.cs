using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using ElmoNative.Extensions.AI;

namespace ElmoNative.Server.Tests;

/// <summary>
/// <c>POST /embed</c>: per-token vectors of all, top, average or mixed layers, pooled or not, as JSON and in the binary
/// form (docs/serve.md); each equal bit for bit to the library's for the sentence alone
/// (<see cref="ElmoModel.Embed(IReadOnlyList{string})"/>, <see cref="ScalarMix"/>, <see cref="SentencePooling"/>).
/// </summary>
[Collection("model")]
public sealed class NativeEmbedTests(DefaultModel fixture)
{
    private static readonly string[][] Tokens =
    [
        ["The", "bank", "of", "the", "river"],
        ["I", "went", "to", "the", "bank", "today", "to", "deposit", "my", "paycheck", "."],
        ["Hi"],
    ];

    /// <summary>What the library gives for one sentence: [layers, rows, D] (rows 1 when pooled).</summary>
    private float[] Expected(string[] tokens, string layers, float[]? weights, Pooling? pooling)
    {
        var model = fixture.Model;
        var batch = model.Embed(tokens);
        int n = tokens.Length, d = model.Dim;
        float[] values = layers switch
        {
            "all" => batch.ToArray(0),
            "top" => batch.Layer(0, model.LayerCount - 1).ToArray(),
            "average" => ScalarMix.Average(model.LayerCount).Mix(batch),
            _ => ScalarMix.FromWeights(weights!).Mix(batch),
        };
        if (pooling is not { } p) return values;
        int count = values.Length / (n * d);
        var pooled = new float[count * d];
        for (int l = 0; l < count; l++) SentencePooling.Pool(values.AsSpan(l * n * d, n * d), d, p, pooled.AsSpan(l * d, d));
        return pooled;
    }

    private static float[] Flatten(JsonElement e) => e.ValueKind == JsonValueKind.Array
        ? [.. e.EnumerateArray().SelectMany(Flatten)]
        : [e.GetSingle()];

    private static int Depth(JsonElement e) => e.ValueKind == JsonValueKind.Array ? 1 + Depth(e[0]) : 0;

    [Theory]
    [InlineData("all", null)]
    [InlineData("top", null)]
    [InlineData("average", null)]
    [InlineData("mix", null)]
    [InlineData("all", "mean")]
    [InlineData("top", "max")]
    [InlineData("average", "mean")]
    public async Task JsonAnswersAreTheLibrarysValues(string layers, string? pooling)
    {
        await using var server = await RunningServer.StartAsync(fixture.Model);
        float[] weights = [0.5f, 0.25f, 0.25f];
        object layersField = layers == "mix" ? weights : layers;
        var json = await TestText.JsonAsync(await server.PostAsync("embed", JsonSerializer.Serialize(new { tokens = Tokens, layers = layersField, pooling })));
        Pooling? p = pooling switch { "mean" => Pooling.Mean, "max" => Pooling.Max, _ => null };
        int outputLayers = layers == "all" ? fixture.Model.LayerCount : 1;
        Assert.Equal(outputLayers, json.GetProperty("layer_count").GetInt32());
        Assert.Equal(fixture.Model.Dim, json.GetProperty("dim").GetInt32());
        for (int i = 0; i < Tokens.Length; i++)
        {
            var item = json.GetProperty("data")[i];
            Assert.Equal(Tokens[i], item.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!));
            var embedding = item.GetProperty("embedding");
            // all: [layers][tokens][D] or pooled [layers][D]; one layer: [tokens][D] or pooled [D].
            Assert.Equal((layers == "all" ? 1 : 0) + (p is null ? 1 : 0) + 1, Depth(embedding));
            TestText.AssertBitIdentical(Expected(Tokens[i], layers, weights, p), Flatten(embedding), $"sentence {i}");
        }
        Assert.Equal(Tokens.Sum(t => t.Length), json.GetProperty("usage").GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task BinaryAnswerHasTheDocumentedLayout()
    {
        await using var server = await RunningServer.StartAsync(fixture.Model);
        foreach (string? pooling in new[] { null, "mean" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "embed")
            {
                Content = new StringContent(JsonSerializer.Serialize(new { tokens = Tokens, layers = "all", pooling }), Encoding.UTF8, "application/json"),
            };
            request.Headers.Accept.Add(TestText.Binary);
            using var response = await server.Http.SendAsync(request);
            Assert.Equal(200, (int)response.StatusCode);
            Assert.Equal("application/octet-stream", response.Content.Headers.ContentType?.MediaType);
            byte[] body = await response.Content.ReadAsByteArrayAsync();
            Assert.Equal("ELMO", Encoding.ASCII.GetString(body, 0, 4));
            Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(4)));
            Assert.Equal((uint)Tokens.Length, BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(8)));
            int layers = (int)BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(12));
            int d = (int)BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(16));
            bool pooled = BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(20)) == 1;
            Assert.Equal((fixture.Model.LayerCount, fixture.Model.Dim, pooling is not null), (layers, d, pooled));
            int offset = 24;
            var p = pooling is null ? (Pooling?)null : Pooling.Mean;
            for (int i = 0; i < Tokens.Length; i++)
            {
                int n = (int)BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(offset));
                Assert.Equal(Tokens[i].Length, n);
                offset += 4;
                int count = layers * (pooled ? 1 : n) * d;
                TestText.AssertBitIdentical(Expected(Tokens[i], "all", null, p), TestText.Floats(body.AsSpan(offset, 4 * count)), $"sentence {i}");
                offset += 4 * count;
            }
            Assert.Equal(body.Length, offset);
        }
    }

    [Fact]
    public async Task RawTextIsTokenizedAsByTheOpenAiEndpoint()
    {
        await using var server = await RunningServer.StartAsync(fixture.Model);
        const string Text = "Don't stop: it's Mr. Smith's trip, isn't it?";
        var json = await TestText.JsonAsync(await server.PostAsync("embed", JsonSerializer.Serialize(new { input = Text, layers = "top" })));
        var tokens = PennTreebankTokenizer.Instance.Tokenize(Text).ToArray();
        var item = json.GetProperty("data")[0];
        Assert.Equal(tokens, item.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()!));
        TestText.AssertBitIdentical(Expected(tokens, "top", null, null), Flatten(item.GetProperty("embedding")), "text");
    }
}
