using System.Text;

namespace ElmoNative.Checkpoints;

/// <summary>
/// The message of a failure inside a parser (System.Text.Json, the HDF5 library) as part of an error line of ours: one
/// line (a damaged file's bytes may hold line breaks and other control characters, shown as \n, \x01, ...) and at
/// most 200 characters.
/// </summary>
internal static class ErrorText
{
    private const int MaxLength = 200;

    /// <summary>The exception's type and message, on one line: <c>EndOfStreamException: Unable to read ...</c>.</summary>
    public static string Describe(Exception e) => OneLine(e is FormatException or InvalidDataException ? e.Message : $"{e.GetType().Name}: {e.Message}");

    /// <summary><paramref name="text"/> with its control characters escaped, cut to 200 characters.</summary>
    public static string OneLine(string text)
    {
        var line = new StringBuilder(Math.Min(text.Length, MaxLength + 8));
        foreach (char c in text)
        {
            if (line.Length >= MaxLength)
            {
                line.Append("...");
                break;
            }
            if (c == '\n') line.Append("\\n");
            else if (c == '\r') line.Append("\\r");
            else if (char.IsControl(c)) line.Append($"\\x{(int)c:x2}");
            else line.Append(c);
        }
        return line.ToString();
    }
}
