namespace ElmoNative.Checkpoints;

/// <summary>Writes files through a temporary name in the same directory and renames at the end: no partial outputs.</summary>
public static class AtomicFile
{
    /// <summary>A temporary path beside <paramref name="path"/>.</summary>
    public static string TemporaryPathFor(string path)
    {
        string full = Path.GetFullPath(path);
        return Path.Combine(Path.GetDirectoryName(full)!, "." + Path.GetFileName(full) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
    }

    /// <summary>Runs <paramref name="write"/> on a temporary path, then renames it to <paramref name="path"/>; deletes it on failure.</summary>
    public static void Write(string path, Action<string> write)
    {
        string temp = TemporaryPathFor(path);
        try
        {
            write(temp);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Writes text atomically.</summary>
    public static void WriteAllText(string path, string text) => Write(path, temp => File.WriteAllText(temp, text));

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
