using System.ClientModel;
using OpenAI;

// The official OpenAI client, its endpoint pointed at elmo serve (any API key; the model is the server's, "default").
string url = args.Length > 0 ? args[0] : "http://127.0.0.1:8080";
var client = new OpenAIClient(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(url + "/v1") });
var embeddings = client.GetEmbeddingClient("default");

var result = await embeddings.GenerateEmbeddingsAsync(["The bank of the river.", "I went to the bank to deposit my paycheck."]);
foreach (var embedding in result.Value)
{
    ReadOnlyMemory<float> vector = embedding.ToFloats();
    Console.WriteLine($"{embedding.Index}: {vector.Length} floats, starting {string.Join(", ", vector[..4].ToArray())}");
}
Console.WriteLine($"tokens: {result.Value.Usage.InputTokenCount}");
