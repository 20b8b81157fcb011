using System.ClientModel;
using System.Text.Json;
using ElmoNative.Extensions.AI;
using Microsoft.Extensions.AI;
using OpenAI;

namespace ElmoNative.Server.Tests;

/// <summary>
/// Clients nobody here wrote, pointed at the real server: the official OpenAI .NET client and
/// Microsoft.Extensions.AI.OpenAI's embedding generator. Their vectors equal, bit for bit, those of the library's
/// generator (ElmoNative.Extensions.AI with the server's defaults: average of the layers, mean pooling, Penn Treebank
/// tokens) for each sentence embedded alone.
/// </summary>
[Collection("model")]
public sealed class OpenAiClientTests(DefaultModel fixture)
{
    private static OpenAIClient Client(RunningServer server) =>
        new(new ApiKeyCredential("x"), new OpenAIClientOptions { Endpoint = new Uri(server.BaseUrl + "/v1") });

    private async Task<float[]> AloneAsync(string sentence)
    {
        using var generator = new ElmoEmbeddingGenerator(fixture.Model);
        var result = await generator.GenerateAsync([sentence]);
        return result[0].Vector.ToArray();
    }

    [Fact]
    public async Task TheOfficialOpenAiClientGetsTheLibrarysVectors()
    {
        await using var server = await RunningServer.StartAsync(fixture.Model);
        var client = Client(server).GetEmbeddingClient("default");
        var sentences = TestText.Sentences.Take(12).ToArray();
        var answer = await client.GenerateEmbeddingsAsync(sentences);
        Assert.Equal(sentences.Length, answer.Value.Count);
        for (int i = 0; i < sentences.Length; i++)
        {
            Assert.Equal(i, answer.Value[i].Index);
            TestText.AssertBitIdentical(await AloneAsync(sentences[i]), answer.Value[i].ToFloats().Span, $"sentence {i}");
        }
        Assert.Equal(sentences.Sum(s => PennTreebankTokenizer.Instance.Tokenize(s).Count), answer.Value.Usage.InputTokenCount);
        Assert.Equal("default", answer.Value.Model);

        var one = await client.GenerateEmbeddingAsync(sentences[3]);
        TestText.AssertBitIdentical(await AloneAsync(sentences[3]), one.Value.ToFloats().Span, "a single string");
    }

    [Fact]
    public async Task MicrosoftExtensionsAiOpenAiGeneratorGetsTheLibrarysVectors()
    {
        await using var server = await RunningServer.StartAsync(fixture.Model);
        IEmbeddingGenerator<string, Embedding<float>> generator = Client(server).GetEmbeddingClient("default").AsIEmbeddingGenerator();
        var sentences = TestText.Sentences.Skip(10).Take(10).ToArray();
        var answer = await generator.GenerateAsync(sentences);
        Assert.Equal(sentences.Length, answer.Count);
        for (int i = 0; i < sentences.Length; i++)
            TestText.AssertBitIdentical(await AloneAsync(sentences[i]), answer[i].Vector.Span, $"sentence {i}");
        Assert.Equal(fixture.Model.Dim, answer[0].Vector.Length);
    }

    [Fact]
    public async Task FloatAndBase64EncodingsCarryTheSameBits()
    {
        await using var server = await RunningServer.StartAsync(fixture.Model);
        string[] sentences = ["We sat on the bank of the river.", "Hi!"];
        var asFloats = await TestText.JsonAsync(await server.PostAsync("v1/embeddings",
            JsonSerializer.Serialize(new { input = sentences, model = "default", encoding_format = "float" })));
        var asBase64 = await TestText.JsonAsync(await server.PostAsync("v1/embeddings",
            JsonSerializer.Serialize(new { input = sentences, encoding_format = "base64" })));
        Assert.Equal("list", asFloats.GetProperty("object").GetString());
        for (int i = 0; i < sentences.Length; i++)
        {
            var item = asFloats.GetProperty("data")[i];
            Assert.Equal("embedding", item.GetProperty("object").GetString());
            Assert.Equal(i, item.GetProperty("index").GetInt32());
            float[] floats = [.. item.GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle())];
            float[] decoded = TestText.Floats(Convert.FromBase64String(asBase64.GetProperty("data")[i].GetProperty("embedding").GetString()!));
            var expected = await AloneAsync(sentences[i]);
            TestText.AssertBitIdentical(expected, floats, $"float sentence {i}");
            TestText.AssertBitIdentical(expected, decoded, $"base64 sentence {i}");
        }
        var usage = asFloats.GetProperty("usage");
        Assert.Equal(9 + 2, usage.GetProperty("prompt_tokens").GetInt32()); // "We sat on the bank of the river ." + "Hi !"
        Assert.Equal(usage.GetProperty("prompt_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task TopLayerAndMaxPoolingAreChosenAtStart()
    {
        await using var server = await RunningServer.StartAsync(fixture.Model, o =>
        {
            o.Layers = ElmoLayerSelection.Top;
            o.Pooling = Pooling.Max;
        });
        using var library = new ElmoEmbeddingGenerator(fixture.Model, new ElmoEmbeddingGeneratorOptions { Layers = ElmoLayerSelection.Top, Pooling = Pooling.Max });
        var answer = await Client(server).GetEmbeddingClient("default").GenerateEmbeddingsAsync([TestText.Sentences[1]]);
        var expected = await library.GenerateAsync([TestText.Sentences[1]]);
        TestText.AssertBitIdentical(expected[0].Vector.Span, answer.Value[0].ToFloats().Span, "top, max");
    }
}
