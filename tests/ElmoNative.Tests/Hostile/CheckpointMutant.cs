using ElmoNative.Checkpoints;

namespace ElmoNative.Tests.Hostile;

/// <summary>What a mutant checkpoint must end in.</summary>
internal enum MutantExpectation
{
    /// <summary>A clean error naming the file and every one of <see cref="CheckpointMutant.Words"/>.</summary>
    Error,

    /// <summary>
    /// Success with exactly the vectors of an in-memory model of <see cref="CheckpointMutant.Weights"/> (what the file
    /// holds, known without reading it back): a changed weight that is still finite.
    /// </summary>
    KnownWeights,

    /// <summary>
    /// A clean error, or finite vectors equal to those of the whole-checkpoint load of the same files (and to the
    /// unmutated model's when the files read back as the fixture): damage whose effect the generator cannot predict.
    /// </summary>
    ErrorOrConsistent,
}

/// <summary>One mutant: its files, what was done to them and what it must end in.</summary>
internal sealed record CheckpointMutant(string Description, string OptionsPath, string WeightsPath, MutantExpectation Expectation)
{
    /// <summary>Words a clean error must contain (for <see cref="MutantExpectation.Error"/>).</summary>
    public string[] Words { get; init; } = [];

    /// <summary>The weights the file holds (for <see cref="MutantExpectation.KnownWeights"/>).</summary>
    public IReadOnlyList<CheckpointTensor>? Weights { get; init; }
}
