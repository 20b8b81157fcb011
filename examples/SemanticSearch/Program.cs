// dotnet run --project examples/SemanticSearch [-- "a query"]: ranks a few sentences by similarity to the query.
using SemanticSearch;

await SemanticSearchDemo.RunAsync(Console.Out, args.Length > 0 ? string.Join(' ', args) : null);
