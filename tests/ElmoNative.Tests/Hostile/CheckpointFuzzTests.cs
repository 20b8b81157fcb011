using System.Diagnostics;
using System.Globalization;
using ElmoNative.Checkpoints;
using ElmoNative.Tests.Reference;
using Xunit.Abstractions;

namespace ElmoNative.Tests.Hostile;

/// <summary>
/// The checkpoint fuzz test (docs/formats.md, "Checks on load"): mutants of the AllenNLP fixture
/// (<see cref="CheckpointMutator"/>), each loaded through the library (<see cref="ElmoModel.Load(string, string)"/>
/// and a sentence embedded) and through the CLI in-process (<c>elmo info</c> and <c>elmo embed</c>), each step within
/// <see cref="CaseSeconds"/> s. Every case must end in a clean error (the library's exception types, one line naming
/// the file; exit code 1 and one <c>elmo: </c> line without "internal error") or in finite vectors that are right
/// (<see cref="MutantExpectation"/>). The seed is random per run and printed; <c>ELMONATIVE_FUZZ_SEED</c> replays a
/// run, <c>ELMONATIVE_FUZZ_CASES</c> changes the number of cases (default 600), <c>ELMONATIVE_FUZZ_CASE</c> runs one.
/// </summary>
[Collection(CliCollection.Name)]
public class CheckpointFuzzTests(ITestOutputHelper output)
{
    public const string SeedVariable = "ELMONATIVE_FUZZ_SEED", CasesVariable = "ELMONATIVE_FUZZ_CASES", CaseVariable = "ELMONATIVE_FUZZ_CASE";

    private const int DefaultCases = 600;

    private const double CaseSeconds = 5;

    private static readonly Lazy<float[]> Reference = new(() =>
    {
        using var model = ElmoModel.Load(HostileFiles.FixtureOptions, HostileFiles.FixtureWeights);
        return model.Embed(HostileFiles.Sentence).Activations;
    });

    [Fact]
    public void EveryMutantEndsInACleanErrorOrTheRightVectors()
    {
        int seed = int.TryParse(Environment.GetEnvironmentVariable(SeedVariable), CultureInfo.InvariantCulture, out int s) ? s : Random.Shared.Next();
        int cases = int.TryParse(Environment.GetEnvironmentVariable(CasesVariable), CultureInfo.InvariantCulture, out int c) ? c : DefaultCases;
        int? only = int.TryParse(Environment.GetEnvironmentVariable(CaseVariable), CultureInfo.InvariantCulture, out int o) ? o : null;
        output.WriteLine($"seed {seed}, {cases} cases; replay with {SeedVariable}={seed}");
        var failures = new List<string>();
        var kinds = new Dictionary<string, int>();
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < cases; i++)
        {
            if (only is { } one && one != i) continue;
            using var dir = new TempDirectory();
            var mutant = CheckpointMutator.Make(new Random(unchecked(seed * 1_000_003 + i)), dir);
            string outcome;
            try
            {
                outcome = Check(mutant, dir);
            }
            catch (Exception e)
            {
                outcome = "FAILED";
                failures.Add($"case {i} ({mutant.Description}): {e.Message}");
            }
            kinds[outcome] = kinds.GetValueOrDefault(outcome) + 1;
            if (only is not null) output.WriteLine($"case {i}: {mutant.Description}: {outcome}");
        }
        output.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s; outcomes: {string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}"))}");
        foreach (string failure in failures.Take(30)) output.WriteLine(failure);
        Assert.True(failures.Count == 0,
            $"seed {seed} (replay: {SeedVariable}={seed}, one case: {CaseVariable}=N): {failures.Count} of {cases} cases failed:\n{string.Join("\n", failures.Take(10))}");
    }

    /// <summary>Runs one mutant through the library and the CLI; returns "error" or "ok", or throws what is wrong.</summary>
    private static string Check(CheckpointMutant mutant, TempDirectory dir)
    {
        float[]? vectors = null;
        var error = HostileFiles.WithinTimeLimit(() =>
        {
            using var model = ElmoModel.Load(mutant.OptionsPath, mutant.WeightsPath);
            vectors = model.Embed(HostileFiles.Sentence).Activations;
        }, CaseSeconds, "ElmoModel.Load + Embed");

        if (error is not null)
        {
            AssertCleanLibraryError(mutant, error);
        }
        else
        {
            Assert.True(mutant.Expectation != MutantExpectation.Error, $"loaded and embedded, but must fail naming {string.Join(", ", mutant.Words)}");
            int bad = Array.FindIndex(vectors!, v => !float.IsFinite(v));
            Assert.True(bad < 0, $"vector value {bad} is {vectors![Math.Max(bad, 0)]}");
            AssertRightVectors(mutant, vectors!);
        }

        // elmo info (the whole-checkpoint load) and elmo embed (the streaming load), in-process.
        string input = dir.File("input.txt"), embedded = dir.File("out.hdf5");
        File.WriteAllText(input, string.Join(' ', HostileFiles.Sentence) + "\n");
        foreach (string[] args in new[]
        {
            new[] { "info", "--options", mutant.OptionsPath, "--weights", mutant.WeightsPath },
            ["embed", "--options", mutant.OptionsPath, "--weights", mutant.WeightsPath, "--input", input, "--output", embedded, "--force"],
        })
        {
            CliResult? result = null;
            var thrown = HostileFiles.WithinTimeLimit(() => result = CliResult.Run(args), CaseSeconds, "elmo " + args[0]);
            Assert.True(thrown is null, $"elmo {args[0]} threw {thrown}");
            if (error is null)
            {
                result!.AssertOk();
            }
            else
            {
                Assert.True(result!.ExitCode is 1 or 2, $"elmo {args[0]}: exit code {result.ExitCode}: {result.Stderr}");
                string line = result.AssertError(result.ExitCode);
                Assert.DoesNotContain("internal error", line, StringComparison.Ordinal);
                Assert.True(line.Contains(mutant.OptionsPath, StringComparison.Ordinal) || line.Contains(mutant.WeightsPath, StringComparison.Ordinal),
                    $"elmo {args[0]}: the error names neither file: {line}");
                Assert.False(File.Exists(embedded), "elmo embed failed but left its output");
            }
        }
        return error is null ? "ok" : "error";
    }

    private static void AssertCleanLibraryError(CheckpointMutant mutant, Exception error)
    {
        Assert.True(HostileFiles.IsCleanType(error), $"{error.GetType().Name} is not one of the library's error types: {error}");
        Assert.True(!error.Message.Contains('\n'), $"the message is not one line: {error.Message}");
        Assert.True(error.Message.Contains(mutant.OptionsPath, StringComparison.Ordinal) || error.Message.Contains(mutant.WeightsPath, StringComparison.Ordinal),
            $"the error names neither file: {error.Message}");
        Assert.True(mutant.Expectation != MutantExpectation.KnownWeights, $"the weights are finite and well formed, but: {error.Message}");
        foreach (string word in mutant.Words)
            Assert.True(error.Message.Contains(word, StringComparison.Ordinal), $"the error does not say '{word}': {error.Message}");
    }

    private static void AssertRightVectors(CheckpointMutant mutant, float[] vectors)
    {
        if (mutant.Expectation == MutantExpectation.KnownWeights)
        {
            // What the file holds is known without reading it back: an in-memory model of it gives the vectors.
            var options = ElmoOptions.Load(HostileFiles.FixtureOptions);
            using var expected = ElmoModel.FromCheckpoint(new Checkpoint(options, mutant.Weights!));
            Assert.True(Compare.BitIdentical(expected.Embed(HostileFiles.Sentence).Activations, vectors), "the vectors are not those of the weights in the file");
            return;
        }
        // Unpredictable damage that loaded: the whole-checkpoint load of the same files must agree, and files that read
        // back as the fixture must give the fixture's vectors.
        Checkpoint? whole = null;
        var e = HostileFiles.WithinTimeLimit(() => whole = Checkpoint.Load(mutant.OptionsPath, mutant.WeightsPath), CaseSeconds, "Checkpoint.Load");
        Assert.True(e is null, $"the streaming load succeeded but the whole-checkpoint load failed: {e}");
        using (var model = ElmoModel.FromCheckpoint(whole!))
            Assert.True(Compare.BitIdentical(model.Embed(HostileFiles.Sentence).Activations, vectors), "the streaming and whole-checkpoint loads differ");
        bool sameAsFixture = whole!.Options.Equals(ElmoOptions.Load(HostileFiles.FixtureOptions))
            && HostileFiles.FixtureTensors.All(t => whole.Tensors.TryGetValue(t.Name, out var read) && read.Data.AsSpan().SequenceEqual(t.Data));
        if (sameAsFixture) Assert.True(Compare.BitIdentical(Reference.Value, vectors), "the files read back as the fixture but give other vectors");
    }
}
