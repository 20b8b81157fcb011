namespace ElmoNative.Cli;

/// <summary>Checks on an output file before any work is done: one overwrite rule for every command that writes a file.</summary>
internal static class OutputPath
{
    /// <summary>
    /// The output's directory must exist, the output must not be a directory and must not be one of the inputs (inputs
    /// are never modified), and an existing output is replaced only with <c>--force</c> (<paramref name="force"/>).
    /// </summary>
    public static void Check(string output, bool force, params string?[] inputs)
    {
        string full = Path.GetFullPath(output);
        if (Directory.Exists(full)) throw CliException.DataError($"{output}: output is a directory");
        string? directory = Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory)) throw CliException.DataError($"{output}: output directory {directory} does not exist");
        foreach (string? input in inputs)
        {
            if (input is null || input == "-") continue;
            if (string.Equals(Path.GetFullPath(input), full, StringComparison.Ordinal))
                throw CliException.UsageError($"{output}: the output would overwrite an input file");
        }
        if (!force && File.Exists(full)) throw CliException.DataError($"{output}: output exists (pass --force to replace it)");
    }
}
