using ElmoNative.Hub;

namespace ElmoNative.Tests.Hub;

public class ModelCacheRootTests
{
    private static string Root(params (string Name, string Value)[] variables) =>
        ModelCache.DefaultRoot(name => variables.FirstOrDefault(v => v.Name == name).Value);

    [Fact]
    public void ELMONATIVE_HOME_comes_first_then_XDG_CACHE_HOME_then_the_home_cache()
    {
        Assert.Equal("/data/elmo", Root(("ELMONATIVE_HOME", "/data/elmo"), ("XDG_CACHE_HOME", "/xdg")));
        Assert.Equal(Path.Combine("/xdg", "elmonative"), Root(("XDG_CACHE_HOME", "/xdg")));
        string home = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "elmonative");
        Assert.Equal(home, Root());
        Assert.Equal(home, Root(("ELMONATIVE_HOME", ""), ("XDG_CACHE_HOME", "relative/path"))); // XDG paths must be absolute
    }

    [Fact]
    public void The_root_given_wins_and_each_model_has_its_own_folder()
    {
        var cache = new ModelCache("/tmp/some-cache");
        Assert.Equal("/tmp/some-cache", cache.Root);
        Assert.True(ModelRegistry.BuiltIn().TryFind("original-5.5b", out var model));
        Assert.Equal("/tmp/some-cache/original-5.5b", cache.DirectoryOf(model));
        Assert.Equal("/tmp/some-cache/original-5.5b/elmo_2x4096_512_2048cnn_2xhighway_5.5B_weights.hdf5", cache.PathOf(model, model.Weights));
        Assert.Equal(ModelCache.DefaultTimeout, cache.Timeout);
        Assert.Throws<ArgumentOutOfRangeException>(() => cache.Timeout = TimeSpan.Zero);
    }
}
