using System.Globalization;

namespace ElmoNative.Cli;

/// <summary>
/// <c>elmo embed --shard K/N|auto</c> (docs/scale-out.md): which shard of how many this run embeds. <c>auto</c> reads a
/// Slurm job array's <c>SLURM_ARRAY_TASK_ID</c>, <c>SLURM_ARRAY_TASK_MIN</c>, <c>SLURM_ARRAY_TASK_STEP</c> and
/// <c>SLURM_ARRAY_TASK_COUNT</c> (or, with the count given, <c>SLURM_ARRAY_TASK_ID</c> as the shard number), or a Kubernetes Indexed Job's <c>JOB_COMPLETION_INDEX</c> with the count from
/// <c>--shard-count</c> or <c>ELMONATIVE_SHARD_COUNT</c>.
/// </summary>
internal static class ShardOption
{
    /// <summary>The environment variable of the shard count for <c>--shard auto</c> under <c>JOB_COMPLETION_INDEX</c>.</summary>
    public const string CountVariable = "ELMONATIVE_SHARD_COUNT";

    /// <summary>The shard (0-based index, count) that <c>--shard</c> and <c>--shard-count</c> name; null without <c>--shard</c>.</summary>
    public static (int Index, int Count)? Resolve(OptionValues args, Func<string, string?> environment)
    {
        string? shard = args.Value("--shard");
        string? countOption = args.Value("--shard-count");
        if (shard is null)
        {
            if (countOption is not null) throw args.Error("--shard-count goes with --shard auto");
            return null;
        }
        if (shard != "auto")
        {
            if (countOption is not null) throw args.Error("--shard-count goes with --shard auto; --shard K/N gives the count itself");
            int slash = shard.IndexOf('/');
            if (slash < 0 || !TryInt(shard[..slash], out int k) || !TryInt(shard[(slash + 1)..], out int n) || n < 1 || k < 0 || k >= n)
                throw args.Error($"--shard must be K/N with 0 <= K < N (K counts from 0), or auto, not '{shard}'");
            return (k, n);
        }
        string? givenCount = countOption ?? environment(CountVariable);
        if (environment("SLURM_ARRAY_TASK_ID") is { } id)
        {
            int task = Variable("SLURM_ARRAY_TASK_ID", id, args);
            if (givenCount is not null)
            {
                // With the count given, the array index is the shard number itself: one task can be resubmitted alone
                // (sbatch --array=K), which would make SLURM_ARRAY_TASK_COUNT 1.
                int total = Count(givenCount, countOption is not null, args);
                if (task >= total) throw args.Error($"--shard auto: SLURM_ARRAY_TASK_ID {task} is not below the shard count {total}: submit the array as --array=0-{total - 1}");
                return (task, total);
            }
            int min = environment("SLURM_ARRAY_TASK_MIN") is { } m ? Variable("SLURM_ARRAY_TASK_MIN", m, args) : 0;
            int step = environment("SLURM_ARRAY_TASK_STEP") is { } s ? Variable("SLURM_ARRAY_TASK_STEP", s, args) : 1;
            string count = environment("SLURM_ARRAY_TASK_COUNT") ?? throw args.Error("--shard auto: SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not");
            int n = Variable("SLURM_ARRAY_TASK_COUNT", count, args);
            if (step < 1 || (task - min) % step != 0) throw args.Error($"--shard auto: SLURM_ARRAY_TASK_ID {task} is not MIN {min} plus a multiple of STEP {step}");
            int k = (task - min) / step;
            if (n < 1 || k < 0 || k >= n)
                throw args.Error($"--shard auto: SLURM_ARRAY_TASK_ID {task} (minus SLURM_ARRAY_TASK_MIN {min}) is not below SLURM_ARRAY_TASK_COUNT {n}: submit the array as --array=0-{n - 1}");
            return (k, n);
        }
        if (environment("JOB_COMPLETION_INDEX") is { } index)
        {
            int k = Variable("JOB_COMPLETION_INDEX", index, args);
            string count = givenCount
                ?? throw args.Error($"--shard auto: JOB_COMPLETION_INDEX is set, but not the number of shards: give --shard-count N or set {CountVariable} (the Indexed Job's completions)");
            int n = Count(count, countOption is not null, args);
            if (n < 1 || k < 0 || k >= n) throw args.Error($"--shard auto: JOB_COMPLETION_INDEX {k} is not below the shard count {n}");
            return (k, n);
        }
        throw args.Error("--shard auto: neither SLURM_ARRAY_TASK_ID (a Slurm job array) nor JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) is set; give --shard K/N");
    }

    private static int Count(string text, bool fromOption, OptionValues args)
    {
        if (!TryInt(text, out int n) || n < 1)
            throw args.Error(fromOption ? $"--shard-count must be a positive integer, not '{text}'" : $"--shard auto: {CountVariable} must be a positive integer, not '{text}'");
        return n;
    }

    private static int Variable(string name, string value, OptionValues args) =>
        TryInt(value, out int v) ? v : throw args.Error($"--shard auto: {name} is not an integer ('{value}')");

    private static bool TryInt(string text, out int value) => int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
