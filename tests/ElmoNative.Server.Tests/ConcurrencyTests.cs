using System.Collections.Concurrent;
using System.Text.Json;
using ElmoNative.Extensions.AI;

namespace ElmoNative.Server.Tests;

/// <summary>
/// Dynamic batching is exact: many clients at once, their requests coalesced into shared engine batches of mixed
/// lengths, and every answer is bit for bit what embedding its input alone with the library gives.
/// </summary>
[Collection("model")]
public sealed class ConcurrencyTests(DefaultModel fixture)
{
    [Fact]
    public async Task ManyConcurrentClientsEachGetWhatTheirInputGivesAlone()
    {
        await using var server = await RunningServer.StartAsync(fixture.Model, o => o.MaxBatchDelay = TimeSpan.FromMilliseconds(20));
        using var library = new ElmoEmbeddingGenerator(fixture.Model);
        var alone = new ConcurrentDictionary<string, float[]>();
        foreach (string s in TestText.Sentences) alone[s] = (await library.GenerateAsync([s]))[0].Vector.ToArray();

        const int Clients = 48;
        var random = new Random(14);
        var requests = Enumerable.Range(0, Clients).Select(_ =>
            Enumerable.Range(0, random.Next(1, 7)).Select(_ => TestText.Sentences[random.Next(TestText.Sentences.Count)]).ToArray()).ToArray();
        using var start = new SemaphoreSlim(0);
        var tasks = requests.Select(async (inputs, client) =>
        {
            await start.WaitAsync();
            var json = await TestText.JsonAsync(await server.PostAsync("v1/embeddings",
                JsonSerializer.Serialize(new { input = inputs, model = "default", encoding_format = client % 2 == 0 ? "base64" : "float" })));
            var data = json.GetProperty("data");
            Assert.Equal(inputs.Length, data.GetArrayLength());
            for (int i = 0; i < inputs.Length; i++)
            {
                var e = data[i].GetProperty("embedding");
                float[] vector = e.ValueKind == JsonValueKind.String
                    ? TestText.Floats(Convert.FromBase64String(e.GetString()!))
                    : [.. e.EnumerateArray().Select(v => v.GetSingle())];
                TestText.AssertBitIdentical(alone[inputs[i]], vector, $"client {client}, input {i}");
            }
        }).ToArray();
        start.Release(Clients);
        await Task.WhenAll(tasks);

        // Every sentence went through the engine once, in fewer batches than requests (they were coalesced).
        int sentences = requests.Sum(r => r.Length);
        Assert.Equal(sentences, await server.MetricAsync("elmo_embedded_sentences_total"));
        Assert.Equal(sentences, await server.MetricAsync("elmo_batch_sentences_sum"));
        double? batches = await server.MetricAsync("elmo_batch_sentences_count");
        Assert.True(batches < Clients, $"{batches} engine batches for {Clients} concurrent requests: nothing was coalesced");
        Assert.Equal(0, await server.MetricAsync("elmo_queue_length"));
        Assert.Equal(0, await server.MetricAsync("elmo_requests_in_progress"));
    }
}
