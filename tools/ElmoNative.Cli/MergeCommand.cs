using System.CommandLine;
using System.Globalization;
using ElmoNative.Output;

namespace ElmoNative.Cli;

/// <summary>
/// <c>elmo merge --output FILE SHARD...|DIR</c>: the shards of <c>elmo embed --shard</c>, checked against their
/// manifests, into the one file an unsharded <c>elmo embed</c> writes (docs/scale-out.md).
/// </summary>
internal static class MergeCommand
{
    /// <summary>The command and its options.</summary>
    public static ElmoCommand Create()
    {
        var command = new ElmoCommand("merge", "merge the shards of `elmo embed --shard` into the file one unsharded run writes", Run)
        {
            Synopsis = ["elmo merge --output FILE.hdf5 SHARD...|DIR [--force]"],
            Details = """
                Reads the manifests of the shards (DIR/*.manifest.json, or each SHARD's .hdf5 file or .manifest.json) and
                checks that they agree (the same input, model checksum, options and ElmoNative version), that their byte
                and line ranges cover the input exactly once, that each shard's file has the size its manifest gives,
                and, where the input file is still at its recorded path, that each shard's bytes of it have the SHA-256
                its manifest gives. Then it writes, streaming (one buffer of memory), the file that one `elmo embed` of the
                whole input with the same options writes: the same datasets, sentence_to_index and bytes. A missing,
                duplicated, overlapping or foreign shard is an error naming it, and nothing is written.
                """,
        };
        command.Add(new Argument<string[]>("SHARD") { Arity = ArgumentArity.ZeroOrMore, Description = "a folder of shards, or shard files (.hdf5 or .manifest.json)" });
        command.Value("--output", "FILE", OutputPath.HdfHelp);
        CommonOptions.AddForce(command, "the output");
        CommonOptions.AddQuiet(command);
        return command;
    }

    private static int Run(CommandContext context, OptionValues args)
    {
        string output = args.Required("--output");
        var shards = args.Result.GetValue<string[]>("SHARD") ?? [];
        if (shards.Length == 0) throw args.Error("give the shards: a folder of them, or their files");
        var set = EmbeddingShardSet.Open(shards);
        OutputPath.Check(output, args.Has(CommonOptions.Force), [.. set.Shards.SelectMany(s => new[] { s.ManifestPath, s.FilePath }), set.Shards[0].Manifest.InputPath]);
        if (!set.InputVerified && !args.Has(CommonOptions.Quiet))
            context.Error.WriteLine($"merge: note: the input {set.Shards[0].Manifest.InputPath} is not there; the shards' byte ranges were not hashed again");
        var result = new EmbeddingFileProgress();
        OutputPath.Write(context, output, temp => result = set.WriteTo(temp, cancellation: context.Cancellation));
        double megabytes = set.FileBytes / 1e6;
        context.Summary = new RunSummary(string.Create(CultureInfo.InvariantCulture,
            $"{set.Shards.Count} shards, {result.Sentences} sentences, {megabytes:F1} MB"), output, megabytes, "megabytes");
        return 0;
    }
}
