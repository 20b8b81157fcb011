using System.Diagnostics;
using System.Reflection;

namespace ElmoNative.Package.Tests;

/// <summary>The tests that share one <c>dotnet pack</c> of the solution run one after the other.</summary>
[CollectionDefinition(Name)]
public sealed class PackedSolutionCollection : ICollectionFixture<PackedSolution>
{
    public const string Name = "packed solution";
}

/// <summary>
/// <c>dotnet pack ElmoNative.sln -c Release -o TEMP/artifacts</c>, once for the tests of <see cref="PackedSolutionCollection"/>,
/// in a temporary folder outside the repository that is deleted at the end. Packing in Release while the solution is
/// tested in Debug is safe: the builds write to separate bin/Release and obj/Release folders, and the restore they share
/// is a no-op (no package depends on the configuration). Everything a consumer does later uses the isolated
/// <see cref="NuGetConfig"/> and <see cref="PackagesFolder"/>, so ~/.nuget/packages never holds a locally packed ElmoNative
/// (a stale one of the same version would otherwise be taken on the next run).
/// </summary>
public sealed class PackedSolution : IDisposable
{
    /// <summary>The registry the packages' own dependencies (PureHDF, System.Numerics.Tensors) come from.</summary>
    public const string RegistryUrl = "https://api.nuget.org/v3/index.json";

    public PackedSolution()
    {
        RepositoryRoot = BuildProperty("RepositoryRoot");
        Version = BuildProperty("PackageVersion");
        RepositoryUrl = BuildProperty("RepositoryUrl");

        Root = Path.Combine(Path.GetTempPath(), "elmonative-package-tests-" + Guid.NewGuid().ToString("N")[..12]);
        Artifacts = Directory.CreateDirectory(Path.Combine(Root, "artifacts")).FullName;
        PackagesFolder = Directory.CreateDirectory(Path.Combine(Root, "nuget-packages")).FullName;
        NuGetConfig = Path.Combine(Root, "nuget.config");
        File.WriteAllText(NuGetConfig, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config>
                <add key="globalPackagesFolder" value="{PackagesFolder}" />
              </config>
              <packageSources>
                <clear />
                <add key="artifacts" value="{Artifacts}" />
                <add key="registry" value="{RegistryUrl}" />
              </packageSources>
              <packageSourceMapping>
                <packageSource key="artifacts">
                  <package pattern="ElmoNative" />
                  <package pattern="ElmoNative.*" />
                </packageSource>
                <packageSource key="registry">
                  <package pattern="*" />
                </packageSource>
              </packageSourceMapping>
            </configuration>
            """);
        Consumer.Variables["NUGET_PACKAGES"] = PackagesFolder;

        var clock = Stopwatch.StartNew();
        Process.Dotnet(RepositoryRoot, TimeSpan.FromMinutes(10),
                "pack", Path.Combine(RepositoryRoot, "ElmoNative.sln"), "-c", "Release", "-o", Artifacts, "-nodeReuse:false")
            .AssertSuccess();
        PackTime = clock.Elapsed;
        Commit = Process.Run("git", RepositoryRoot, TimeSpan.FromMinutes(1), "rev-parse", "HEAD").AssertSuccess().StandardOutput.Trim();
    }

    /// <summary>An MSBuild property of this test's build (AssemblyMetadata items of its csproj); paths made absolute.</summary>
    public static string BuildProperty(string name)
    {
        string value = typeof(PackedSolution).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == name).Value ?? "";
        return name == "RepositoryRoot" ? Path.GetFullPath(value) : value;
    }

    /// <summary>The repository this test was built from.</summary>
    public string RepositoryRoot { get; }

    /// <summary>The version every package has (VersionPrefix in Directory.Build.props).</summary>
    public string Version { get; }

    /// <summary>The repository URL the packages and their SourceLink name.</summary>
    public string RepositoryUrl { get; }

    /// <summary>The commit the packages were built from (git HEAD of <see cref="RepositoryRoot"/>).</summary>
    public string Commit { get; }

    /// <summary>The temporary folder holding everything below; deleted on dispose.</summary>
    public string Root { get; }

    /// <summary>The .nupkg and .snupkg files made by the pack.</summary>
    public string Artifacts { get; }

    /// <summary>The consumers' global packages folder (isolated from ~/.nuget/packages).</summary>
    public string PackagesFolder { get; }

    /// <summary>A nuget.config: the artifacts first (the only source for ElmoNative*), then the registry.</summary>
    public string NuGetConfig { get; }

    /// <summary>How long the pack took.</summary>
    public TimeSpan PackTime { get; }

    /// <summary>Runs processes in the repository (the pack).</summary>
    public ExternalProcess Process { get; } = new();

    /// <summary>Runs processes as a consumer of the packages: NUGET_PACKAGES is <see cref="PackagesFolder"/>.</summary>
    public ExternalProcess Consumer { get; } = new();

    /// <summary>The path of a package in <see cref="Artifacts"/>.</summary>
    public string Package(string id, string extension = ".nupkg") => Path.Combine(Artifacts, $"{id}.{Version}{extension}");

    /// <summary>A new empty folder under <see cref="Root"/>.</summary>
    public string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(Root, name + "-" + Guid.NewGuid().ToString("N")[..8])).FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A process killed on a timeout may still hold a file; the folder is in the temporary directory.
        }
    }
}
