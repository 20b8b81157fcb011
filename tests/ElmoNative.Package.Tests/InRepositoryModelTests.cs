namespace ElmoNative.Package.Tests;

/// <summary>Inside the repository the default model comes through the project reference to ElmoNative.Models.Default.</summary>
public sealed class InRepositoryModelTests
{
    [Fact]
    public void TheProjectReferenceCopiesTheModelBesideEveryProgramThatUsesElmoNative()
    {
        string beside = Path.Combine(AppContext.BaseDirectory, "models", "default");
        string[] shipped = Directory.GetFiles(Path.Combine(PackedSolution.BuildProperty("RepositoryRoot"), "models", "default"));
        Assert.Equal(5, shipped.Length);
        foreach (string file in shipped)
            Assert.Equal(File.ReadAllBytes(file), File.ReadAllBytes(Path.Combine(beside, Path.GetFileName(file))));
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(ElmoModel.DefaultModelVariable)))
            Assert.Equal(beside, ElmoModel.FindDefaultDirectory());
    }
}
