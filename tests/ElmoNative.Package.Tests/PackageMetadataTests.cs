using System.IO.Compression;
using System.Reflection.Metadata;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace ElmoNative.Package.Tests;

/// <summary>What <c>dotnet pack ElmoNative.sln</c> makes: which packages, their nuspec, files and symbols (docs/packages.md).</summary>
[Collection(PackedSolutionCollection.Name)]
public sealed class PackageMetadataTests(PackedSolution packed)
{
    /// <summary>The kind of custom debug information holding the SourceLink JSON in a portable pdb.</summary>
    private static readonly Guid SourceLinkKind = new("CC110556-A091-4D38-9FEC-25AB9A351A6A");

    /// <summary>
    /// One package per project under src/, kernels/ and tools/ (its PackageId, else its name), none for tests, bench
    /// or examples; so a project added under src/ is packed with nothing but its own csproj.
    /// </summary>
    private List<string> ExpectedIds()
    {
        var ids = new List<string>();
        foreach (string area in new[] { "src", "kernels", "tools" })
        {
            foreach (string project in Directory.EnumerateFiles(Path.Combine(packed.RepositoryRoot, area), "*.csproj", SearchOption.AllDirectories))
            {
                var xml = XDocument.Load(project);
                if (xml.Descendants("IsPackable").Any(e => e.Value.Trim() == "false")) continue;
                ids.Add(xml.Descendants("PackageId").FirstOrDefault()?.Value.Trim() ?? Path.GetFileNameWithoutExtension(project));
            }
        }
        return ids.Order(StringComparer.Ordinal).ToList();
    }

    private static XElement Nuspec(ZipArchive package)
    {
        var entry = Assert.Single(package.Entries, e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/'));
        using var stream = entry.Open();
        return XDocument.Load(stream).Root!;
    }

    private static XElement Child(XElement parent, string name) =>
        parent.Elements().SingleOrDefault(e => e.Name.LocalName == name) ?? throw new Xunit.Sdk.XunitException($"nuspec has no <{name}> in <{parent.Name.LocalName}>");

    private static byte[] Bytes(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private static ZipArchiveEntry Entry(ZipArchive package, string path) =>
        package.GetEntry(path) ?? throw new Xunit.Sdk.XunitException($"{path} missing; the package holds: {string.Join(", ", package.Entries.Select(e => e.FullName))}");

    [Fact]
    public void ThePackagesAreExactlyTheProjectsUnderSrcKernelsAndTools()
    {
        var made = Directory.GetFiles(packed.Artifacts, "*.nupkg").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(ExpectedIds().Select(id => $"{id}.{packed.Version}.nupkg"), made);
        Assert.Contains("ElmoNative", ExpectedIds());
        Assert.Contains("ElmoNative.Kernels", ExpectedIds());
        Assert.Contains("ElmoNative.Training", ExpectedIds());
        Assert.Contains("ElmoNative.Models.Default", ExpectedIds());
        Assert.Contains("ElmoNative.Tool", ExpectedIds());
    }

    [Fact]
    public void EveryPackageCarriesTheMetadataLicenseNoticeAndItsOwnReadme()
    {
        byte[] license = File.ReadAllBytes(Path.Combine(packed.RepositoryRoot, "LICENSE"));
        byte[] notice = File.ReadAllBytes(Path.Combine(packed.RepositoryRoot, "NOTICE"));
        foreach (string id in ExpectedIds())
        {
            using var package = ZipFile.OpenRead(packed.Package(id));
            var metadata = Child(Nuspec(package), "metadata");
            Assert.Equal(id, Child(metadata, "id").Value);
            Assert.Equal(packed.Version, Child(metadata, "version").Value);
            Assert.False(string.IsNullOrWhiteSpace(Child(metadata, "authors").Value), id);
            string description = Child(metadata, "description").Value;
            Assert.True(description.Length > 20 && description != "Package Description", $"{id}: description '{description}'");
            Assert.Contains("elmo", Child(metadata, "tags").Value.Split(' '));

            var licenseElement = Child(metadata, "license");
            Assert.Equal("expression", licenseElement.Attribute("type")?.Value);
            Assert.Equal("Apache-2.0", licenseElement.Value);
            Assert.Equal(license, Bytes(Entry(package, "LICENSE")));
            Assert.Equal(notice, Bytes(Entry(package, "NOTICE")));

            Assert.Equal(packed.RepositoryUrl, Child(metadata, "projectUrl").Value);
            var repository = Child(metadata, "repository");
            Assert.Equal("git", repository.Attribute("type")?.Value);
            Assert.Equal(packed.RepositoryUrl, repository.Attribute("url")?.Value);
            Assert.Equal(packed.Commit, repository.Attribute("commit")?.Value);

            // The package's own readme (the repository's README would have broken relative links on nuget.org).
            Assert.Equal("README.md", Child(metadata, "readme").Value);
            string readme = System.Text.Encoding.UTF8.GetString(Bytes(Entry(package, "README.md")));
            Assert.StartsWith($"# {id}\n", readme);
            Assert.DoesNotMatch(new Regex(@"\]\((?!https?://|#)"), readme);
        }
    }

    [Fact]
    public void DependenciesBetweenThePackagesHaveTheSameVersionAndArePacked()
    {
        var ids = ExpectedIds();
        var dependencies = new Dictionary<string, List<string>>();
        foreach (string id in ids)
        {
            using var package = ZipFile.OpenRead(packed.Package(id));
            var own = Child(Nuspec(package), "metadata").Descendants().Where(e => e.Name.LocalName == "dependency").ToList();
            dependencies[id] = own.Select(d => d.Attribute("id")!.Value).ToList();
            foreach (var dependency in own.Where(d => d.Attribute("id")!.Value.StartsWith("ElmoNative", StringComparison.Ordinal)))
            {
                Assert.Contains(dependency.Attribute("id")!.Value, ids);   // no dependency on an unpacked project (NU1101)
                Assert.Equal(packed.Version, dependency.Attribute("version")!.Value);
            }
        }
        Assert.Contains("ElmoNative.Kernels", dependencies["ElmoNative"]);
        Assert.Contains("ElmoNative.Models.Default", dependencies["ElmoNative"]);
        Assert.Contains("ElmoNative", dependencies["ElmoNative.Training"]);
        Assert.Empty(dependencies["ElmoNative.Models.Default"]);
        Assert.Empty(dependencies["ElmoNative.Tool"]);   // a tool carries everything it runs
    }

    [Fact]
    public void TheModelPackageHoldsTheShippedModelAndTheTargetsThatCopyIt()
    {
        using var package = ZipFile.OpenRead(packed.Package("ElmoNative.Models.Default"));
        string[] files = Directory.GetFiles(Path.Combine(packed.RepositoryRoot, "models", "default"));
        Assert.Equal(5, files.Length);
        foreach (string file in files)
            Assert.Equal(SHA256.HashData(File.ReadAllBytes(file)), SHA256.HashData(Bytes(Entry(package, "models/default/" + Path.GetFileName(file)))));
        string targets = System.Text.Encoding.UTF8.GetString(Bytes(Entry(package, "buildTransitive/ElmoNative.Models.Default.targets")));
        Assert.Contains("models/default/", targets);
        Assert.DoesNotContain(package.Entries, e => e.FullName.StartsWith("lib/", StringComparison.Ordinal));
    }

    [Fact]
    public void TheToolPackageIsADotnetToolNamedElmoWithTheDefaultModel()
    {
        using var package = ZipFile.OpenRead(packed.Package("ElmoNative.Tool"));
        var metadata = Child(Nuspec(package), "metadata");
        Assert.Contains(metadata.Descendants(), e => e.Name.LocalName == "packageType" && e.Attribute("name")?.Value == "DotnetTool");
        XDocument settings;
        using (var stream = Entry(package, "tools/net10.0/any/DotnetToolSettings.xml").Open()) settings = XDocument.Load(stream);
        var command = Assert.Single(settings.Descendants("Command"));
        Assert.Equal("elmo", command.Attribute("Name")?.Value);
        Assert.Equal("elmo.dll", command.Attribute("EntryPoint")?.Value);
        foreach (string file in Directory.GetFiles(Path.Combine(packed.RepositoryRoot, "models", "default")))
            Assert.Equal(new FileInfo(file).Length, Entry(package, "tools/net10.0/any/models/default/" + Path.GetFileName(file)).Length);
    }

    /// <summary>
    /// Every package with assemblies has a symbol package whose pdbs map the sources, through SourceLink, to the raw files
    /// of the repository at the packed commit; the mapped files exist in the repository.
    /// </summary>
    [Fact]
    public void SymbolPackagesCarrySourceLinkToTheRepositoryAtTheCommit()
    {
        string expectedUrl = packed.RepositoryUrl.Replace("https://github.com/", "https://raw.githubusercontent.com/", StringComparison.Ordinal)
                             + "/" + packed.Commit + "/*";
        int pdbs = 0;
        foreach (string id in ExpectedIds())
        {
            using var package = ZipFile.OpenRead(packed.Package(id));
            var assemblies = package.Entries.Where(e => e.FullName.EndsWith(".dll", StringComparison.Ordinal)).ToList();
            string symbolsPath = packed.Package(id, ".snupkg");
            if (assemblies.Count == 0)
            {
                Assert.False(File.Exists(symbolsPath), $"{id} has no assemblies but a symbol package");
                continue;
            }
            Assert.True(File.Exists(symbolsPath), $"{id}: no {Path.GetFileName(symbolsPath)}");
            using var symbols = ZipFile.OpenRead(symbolsPath);
            int mappedFiles = 0;
            var pdbEntries = symbols.Entries.Where(e => e.FullName.EndsWith(".pdb", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(pdbEntries);
            foreach (var pdb in pdbEntries)
            {
                using var provider = MetadataReaderProvider.FromPortablePdbImage(System.Collections.Immutable.ImmutableArray.Create(Bytes(pdb)));
                var reader = provider.GetMetadataReader();
                var sourceLink = reader.GetCustomDebugInformation(EntityHandle.ModuleDefinition)
                    .Select(reader.GetCustomDebugInformation)
                    .Where(c => reader.GetGuid(c.Kind) == SourceLinkKind)
                    .Select(c => reader.GetBlobBytes(c.Value))
                    .SingleOrDefault() ?? throw new Xunit.Sdk.XunitException($"{id}: {pdb.FullName} has no SourceLink");
                var documents = JsonDocument.Parse(sourceLink).RootElement.GetProperty("documents").EnumerateObject().ToList();
                var mapping = Assert.Single(documents);
                Assert.Equal(expectedUrl, mapping.Value.GetString());
                string localPrefix = mapping.Name.TrimEnd('*');

                var mapped = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name))
                    .Where(p => p.StartsWith(localPrefix, StringComparison.Ordinal) && p.EndsWith(".cs", StringComparison.Ordinal))
                    .Select(p => p[localPrefix.Length..])
                    .Where(relative => !relative.Split('/').Contains("obj"))   // generated files are embedded instead
                    .ToList();
                foreach (string relative in mapped)
                    Assert.True(File.Exists(Path.Combine(packed.RepositoryRoot, relative)), $"{id}: {pdb.FullName} maps {relative}, not a file of the repository");
                mappedFiles += mapped.Count;
                pdbs++;
            }
            // (ElmoNative.Models.Default's assembly, in the tool, has no sources but generated ones.)
            Assert.True(mappedFiles > 0, $"{id}: its pdbs map no source file of the repository");
        }
        Assert.True(pdbs >= 4, $"only {pdbs} pdbs checked");
    }

    /// <summary>Packing the same build again gives byte-identical packages (Deterministic and DeterministicTimestamp).</summary>
    [Fact]
    public void PackingAgainGivesIdenticalPackages()
    {
        string again = packed.NewFolder("artifacts-again");
        packed.Process.Dotnet(packed.RepositoryRoot, TimeSpan.FromMinutes(5),
            "pack", Path.Combine(packed.RepositoryRoot, "ElmoNative.sln"), "-c", "Release", "-o", again,
            "--no-build", "--no-restore", "-nodeReuse:false").AssertSuccess();
        var first = Directory.GetFiles(packed.Artifacts).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(first, Directory.GetFiles(again).Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList());
        foreach (string name in first)
            Assert.True(File.ReadAllBytes(Path.Combine(packed.Artifacts, name)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(again, name))), $"{name} differs between two packs");
    }
}
