namespace ElmoNative.Tests;

/// <summary>
/// A test that runs the HDF5 library's <c>h5dump</c>. Where h5dump is not on PATH the test is reported as skipped, with
/// the reason; with <c>ELMONATIVE_REQUIRE_H5DUMP=1</c> (set by <c>.ci/run</c>, which installs it) it runs and fails instead,
/// so CI cannot skip it silently.
/// </summary>
public sealed class H5DumpFactAttribute : FactAttribute
{
    /// <summary>Full path of h5dump on PATH, or null.</summary>
    public static string? Executable { get; } = (Environment.GetEnvironmentVariable("PATH") ?? "")
        .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(d => Path.Combine(d, "h5dump")).FirstOrDefault(File.Exists);

    /// <summary>Skips the test when h5dump is missing (unless CI requires it).</summary>
    public H5DumpFactAttribute()
    {
        if (Executable is null && Environment.GetEnvironmentVariable("ELMONATIVE_REQUIRE_H5DUMP") != "1")
            Skip = "h5dump is not on PATH: install the HDF5 command-line tools (Debian/Ubuntu: apt-get install hdf5-tools) to run this test";
    }
}
