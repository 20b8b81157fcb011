using ElmoNative.Checkpoints;
using ElmoNative.Output;

namespace ElmoNative.Cli;

/// <summary>
/// Checks on an output before any work is done, and the writing of it: one rule for every command that writes
/// (docs/reliability.md). An output that is one of the command's inputs (the same file, however links, symlinked folders
/// or hard links lead to it) is refused; an existing regular file is replaced only with <c>--force</c>; a device, FIFO,
/// socket or descriptor path (<c>/dev/null</c>, <c>/dev/stdout</c>) is written into, never replaced; <c>-</c> is
/// standard output.
/// </summary>
internal static class OutputPath
{
    /// <summary>The help of an HDF5 <c>--output FILE</c>.</summary>
    public const string HdfHelp = "HDF5 file to write: a file is written to a temporary file and renamed at the end; a device or FIFO is written into, never replaced; - writes to stdout";

    /// <summary>The output name that means standard output.</summary>
    public const string StandardOutput = "-";

    /// <summary>
    /// The output's directory must exist, the output must not be a directory and must not be one of the inputs (inputs
    /// are never modified), and an existing regular file is replaced only with <c>--force</c> (<paramref name="force"/>).
    /// <c>-</c> (standard output) and existing devices, FIFOs and sockets need no <c>--force</c>: nothing is replaced.
    /// </summary>
    public static void Check(string output, bool force, params string?[] inputs)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (output == StandardOutput) return;
        string full = Path.GetFullPath(output);
        var node = FileNode.Of(full);
        if (node.Kind == FileNodeKind.Directory) throw CliException.DataError($"{output}: output is a directory");
        string? directory = Path.GetDirectoryName(full);
        if (directory is not null && !Directory.Exists(directory)) throw CliException.DataError($"{output}: output directory {directory} does not exist");
        RequireNotInput(output, inputs);
        if (!force && node.Kind == FileNodeKind.Regular && !FileNode.IsDescriptorPath(full)) throw CliException.DataError($"{output}: output exists (pass --force to replace it)");
    }

    /// <summary>
    /// Refuses an output that is the same file as one of <paramref name="inputs"/> (device and inode compared, every link
    /// followed; null and <c>-</c> are skipped): a usage error naming both.
    /// </summary>
    public static void RequireNotInput(string output, IEnumerable<string?> inputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (output == StandardOutput) return;
        foreach (string? input in inputs)
        {
            if (input is null || input == StandardOutput) continue;
            if (FileNode.Same(input, output))
            {
                string what = string.Equals(Path.GetFullPath(input), Path.GetFullPath(output), StringComparison.Ordinal) ? "" : $" (the same file as {input})";
                throw CliException.UsageError($"{output}: the output would overwrite an input file{what}");
            }
        }
    }

    /// <summary>
    /// For a command that replaces a whole output directory (<c>elmo train --output DIR --force</c>): refuses when one of
    /// <paramref name="inputs"/> lies inside <paramref name="directory"/> (real paths compared, every link resolved; null
    /// and <c>-</c> skipped), since replacing the directory would delete it. A usage error naming both.
    /// </summary>
    public static void RequireNoInputInside(string directory, IEnumerable<string?> inputs)
    {
        ArgumentNullException.ThrowIfNull(directory);
        ArgumentNullException.ThrowIfNull(inputs);
        if (FileNode.RealPath(directory) is not { } real) return; // a new directory holds nothing yet
        string prefix = real.EndsWith(Path.DirectorySeparatorChar) ? real : real + Path.DirectorySeparatorChar;
        foreach (string? input in inputs)
        {
            if (input is null || input == StandardOutput) continue;
            if (FileNode.RealPath(input) is { } file && (file.StartsWith(prefix, StringComparison.Ordinal) || file == real))
                throw CliException.UsageError($"{directory}: the output directory holds the input {input}, which replacing it would delete");
        }
    }

    /// <summary>
    /// Writes <paramref name="output"/> whole or not at all: <paramref name="write"/> writes a file at the path it is
    /// given, which then replaces a regular file (a rename), is copied into a device or FIFO, or, for <c>-</c>, is
    /// copied to standard output (<see cref="AtomicFile"/>).
    /// </summary>
    public static void Write(CommandContext context, string output, Action<string> write)
    {
        if (output == StandardOutput) AtomicFile.WriteTo(context.OpenStandardOutput(), write);
        else AtomicFile.Write(output, write);
    }
}
