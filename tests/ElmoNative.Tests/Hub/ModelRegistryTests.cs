using ElmoNative.Hub;
using ElmoNative.Tests.Reference;

namespace ElmoNative.Tests.Hub;

public class ModelRegistryTests
{
    private const string S3 = "https://s3-us-west-2.amazonaws.com/allennlp/models/elmo/";

    [Theory]
    [InlineData("small", "2x1024_128_2048cnn_1xhighway/elmo_2x1024_128_2048cnn_1xhighway_options.json", "2x1024_128_2048cnn_1xhighway/elmo_2x1024_128_2048cnn_1xhighway_weights.hdf5")]
    [InlineData("medium", "2x2048_256_2048cnn_1xhighway/elmo_2x2048_256_2048cnn_1xhighway_options.json", "2x2048_256_2048cnn_1xhighway/elmo_2x2048_256_2048cnn_1xhighway_weights.hdf5")]
    [InlineData("original", "2x4096_512_2048cnn_2xhighway/elmo_2x4096_512_2048cnn_2xhighway_options.json", "2x4096_512_2048cnn_2xhighway/elmo_2x4096_512_2048cnn_2xhighway_weights.hdf5")]
    [InlineData("original-5.5b", "2x4096_512_2048cnn_2xhighway_5.5B/elmo_2x4096_512_2048cnn_2xhighway_5.5B_options.json", "2x4096_512_2048cnn_2xhighway_5.5B/elmo_2x4096_512_2048cnn_2xhighway_5.5B_weights.hdf5")]
    [InlineData("pubmed", "contributed/pubmed/elmo_2x4096_512_2048cnn_2xhighway_options.json", "contributed/pubmed/elmo_2x4096_512_2048cnn_2xhighway_weights_PubMed_only.hdf5")]
    [InlineData("pt-wikipedia", "contributed/pt/wikipedia/options.json", "contributed/pt/wikipedia/elmo_pt_weights.hdf5")]
    [InlineData("pt-brwac", "contributed/pt/brwac/options.json", "contributed/pt/brwac/elmo_pt_weights_dgx1.hdf5")]
    public void The_built_in_list_has_allennlps_models_at_their_published_addresses(string name, string options, string weights)
    {
        var registry = ModelRegistry.BuiltIn();
        Assert.True(registry.TryFind(name, out var model));
        Assert.Equal(new Uri(S3 + options), model.Options.Url);
        Assert.Equal(new Uri(S3 + weights), model.Weights.Url);
        Assert.Equal(options[(options.LastIndexOf('/') + 1)..], model.Options.FileName);
        Assert.Equal(weights[(weights.LastIndexOf('/') + 1)..], model.Weights.FileName);
        Assert.NotEmpty(model.Description);
        Assert.Null(model.RegistryFile);
    }

    [Fact]
    public void Every_built_in_entry_is_usable()
    {
        var models = ModelRegistry.BuiltIn().Models;
        Assert.True(models.Count >= 9);
        Assert.Equal(models.Count, models.Select(m => m.Name.ToLowerInvariant()).Distinct().Count());
        var allNames = models.SelectMany(m => m.Aliases.Append(m.Name)).Select(n => n.ToLowerInvariant()).ToList();
        Assert.Equal(allNames.Count, allNames.Distinct().Count());
        foreach (var model in models)
        {
            Assert.Equal("https", model.Options.Url.Scheme);
            Assert.EndsWith(".json", model.Options.FileName);
            Assert.EndsWith(".hdf5", model.Weights.FileName);
            Assert.NotNull(model.Source);
        }
        Assert.Equal(13.6, models.Single(m => m.Name == "small").ParametersMillions);
    }

    [Theory]
    [InlineData("elmo_2x4096_512_2048cnn_2xhighway_5.5B", "original-5.5b")]
    [InlineData("ORIGINAL-5.5B", "original-5.5b")]
    [InlineData("2x1024_128_2048cnn_1xhighway", "small")]
    [InlineData("portuguese", "pt-wikipedia")]
    public void Models_are_found_by_alias_and_case_insensitively(string name, string expected)
    {
        Assert.True(ModelRegistry.BuiltIn().TryFind(name, out var model));
        Assert.Equal(expected, model.Name);
    }

    [Fact]
    public void Unknown_names_are_not_found_and_get_close_suggestions()
    {
        var registry = ModelRegistry.BuiltIn();
        Assert.False(registry.TryFind("smal", out _));
        Assert.Equal("small", registry.SimilarNames("smal")[0]);
        Assert.Contains("original-5.5b", registry.SimilarNames("original-5.5"));
        Assert.Equal(["pt-wikipedia", "pt-brwac", "pt-2018"], registry.SimilarNames("pt"));
        Assert.Empty(registry.SimilarNames("zzzzzzzzzzzz"));
    }

    [Fact]
    public void A_user_file_replaces_built_in_entries_of_the_same_name_and_adds_new_ones()
    {
        using var dir = new TempDirectory();
        string path = dir.File("mine.json");
        File.WriteAllText(path, """
            { "models": [
              { "name": "Small", "description": "my mirror",
                "options": { "url": "http://127.0.0.1:1/o.json" }, "weights": { "url": "http://127.0.0.1:1/w.hdf5", "size": 12, "sha256": null } },
              { "name": "mine", "description": "mine",
                "options": { "url": "http://127.0.0.1:1/a/options.json", "fileName": "options.json" },
                "weights": { "url": "http://127.0.0.1:1/a/x%20y.hdf5" } }
            ] }
            """);
        var registry = ModelRegistry.Load(path);
        var builtIn = ModelRegistry.BuiltIn();

        Assert.Equal(builtIn.Models.Count + 1, registry.Models.Count);
        Assert.True(registry.TryFind("small", out var small));
        Assert.Equal("my mirror", small.Description);
        Assert.Equal(12, small.Weights.Size);
        Assert.Equal(Path.GetFullPath(path), small.RegistryFile);
        Assert.True(registry.TryFind("mine", out var mine));
        Assert.Equal("x y.hdf5", mine.Weights.FileName);
        // The replaced entry keeps its place in the list.
        Assert.Equal(builtIn.Models.Select(m => m.Name.ToLowerInvariant()), registry.Models.Take(builtIn.Models.Count).Select(m => m.Name.ToLowerInvariant()));
    }

    [Theory]
    [InlineData("{ \"models\": [ { \"name\": \"a\", } ", "not valid JSON")]
    [InlineData("{ \"model\": [] }", "expected an object with an array \"models\"")]
    [InlineData("{ \"models\": [ { \"name\": \"a\", \"options\": { \"url\": \"http://h/o.json\" } } ] }", "model 1 (\"a\"): missing field \"weights\"")]
    [InlineData("{ \"models\": [ { \"options\": { \"url\": \"http://h/o.json\" } } ] }", "model 1: missing field \"name\"")]
    [InlineData("{ \"models\": [ { \"name\": \"b\", \"options\": { \"url\": \"ftp://h/o.json\" }, \"weights\": { \"url\": \"http://h/w.hdf5\" } } ] }", "model 1 (\"b\"): \"options.url\" must be an absolute http or https URL")]
    [InlineData("{ \"models\": [ { \"name\": \"c\", \"options\": { \"url\": \"http://h/o.json\" }, \"weights\": { \"url\": \"http://h/w.hdf5\", \"sha256\": \"abc\" } } ] }", "model 1 (\"c\"): \"weights.sha256\" must be 64 hexadecimal digits")]
    [InlineData("{ \"models\": [ { \"name\": \"../up\", \"options\": { \"url\": \"http://h/o.json\" }, \"weights\": { \"url\": \"http://h/w.hdf5\" } } ] }", "\"name\" must be letters, digits")]
    [InlineData("{ \"models\": [ { \"name\": \"d\", \"options\": { \"url\": \"http://h/o.json\" }, \"weights\": { \"url\": \"http://h/w.hdf5\", \"size\": -1 } } ] }", "\"weights.size\" must be a byte count")]
    [InlineData("{ \"models\": [ { \"name\": \"e\", \"options\": { \"url\": \"http://h/a/x\" }, \"weights\": { \"url\": \"http://h/b/x\" } } ] }", "the same file name \"x\"")]
    public void A_bad_user_file_is_a_one_line_error_naming_the_file_and_the_entry(string json, string expected)
    {
        using var dir = new TempDirectory();
        string path = dir.File("bad-registry.json");
        File.WriteAllText(path, json);

        var error = Assert.Throws<InvalidDataException>(() => ModelRegistry.Load(path));

        Assert.StartsWith(path + ": ", error.Message);
        Assert.Contains(expected, error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Bad_json_names_the_line()
    {
        var error = Assert.Throws<InvalidDataException>(() => ModelRegistry.Parse("{\n  \"models\": [\n    oops\n  ]\n}", "r.json"));
        Assert.StartsWith("r.json: line 3: not valid JSON", error.Message);
    }

    [Fact]
    public void A_name_used_twice_in_one_file_is_an_error()
    {
        const string entry = "{ \"name\": \"x\", \"options\": { \"url\": \"http://h/o.json\" }, \"weights\": { \"url\": \"http://h/w.hdf5\" } }";
        var error = Assert.Throws<InvalidDataException>(() => ModelRegistry.Parse($"{{ \"models\": [ {entry}, {entry.Replace("\"x\"", "\"X\"")} ] }}", "r.json"));
        Assert.Equal("r.json: model 2 (\"X\"): the name is used twice", error.Message);
    }

    [Fact]
    public void A_missing_user_file_is_named()
    {
        using var dir = new TempDirectory();
        string path = dir.File("nowhere.json");
        var error = Assert.Throws<FileNotFoundException>(() => ModelRegistry.Load(path));
        Assert.Equal($"{path}: registry file not found", error.Message);
    }
}
