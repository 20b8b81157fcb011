using System.Text;

namespace ElmoNative.Output;

/// <summary>
/// JSON text as Python's <c>json.dumps</c> writes it with its defaults (how AllenNLP writes <c>sentence_to_index</c>):
/// ", " and ": " separators, and ASCII only: <c>\" \\ \n \r \t \b \f</c>, other control characters and everything
/// past '~' as \uXXXX escapes of the UTF-16 code units (so a character outside the BMP becomes a surrogate pair of
/// escapes), which h5dump shows legibly.
/// </summary>
internal static class PythonJson
{
    /// <summary>Most bytes <see cref="WriteString"/> needs for <paramref name="chars"/> characters: 6 per character and the quotes.</summary>
    public static int MaxStringBytes(int chars) => checked(6 * chars + 2);

    /// <summary>Writes <paramref name="text"/> as a quoted JSON string (ASCII bytes); returns the bytes written.</summary>
    public static int WriteString(ReadOnlySpan<char> text, Span<byte> output)
    {
        int at = 0;
        output[at++] = (byte)'"';
        foreach (char ch in text)
        {
            char escape = ch switch
            {
                '"' => '"',
                '\\' => '\\',
                '\n' => 'n',
                '\r' => 'r',
                '\t' => 't',
                '\b' => 'b',
                '\f' => 'f',
                _ => '\0',
            };
            if (escape != '\0')
            {
                output[at++] = (byte)'\\';
                output[at++] = (byte)escape;
            }
            else if (ch < ' ' || ch > '~')
            {
                output[at++] = (byte)'\\';
                output[at++] = (byte)'u';
                for (int shift = 12; shift >= 0; shift -= 4) output[at++] = (byte)"0123456789abcdef"[(ch >> shift) & 0xF];
            }
            else
            {
                output[at++] = (byte)ch;
            }
        }
        output[at++] = (byte)'"';
        return at;
    }

    /// <summary>The JSON object of <paramref name="pairs"/>, in their order (a repeated key is written again).</summary>
    public static string Object(IEnumerable<KeyValuePair<string, string>> pairs)
    {
        var json = new StringBuilder("{");
        byte[] buffer = [];
        foreach (var (key, value) in pairs)
        {
            if (json.Length > 1) json.Append(", ");
            Append(key);
            json.Append(": ");
            Append(value);
        }
        return json.Append('}').ToString();

        void Append(string text)
        {
            if (buffer.Length < MaxStringBytes(text.Length)) buffer = new byte[MaxStringBytes(text.Length)];
            json.Append(Encoding.ASCII.GetString(buffer, 0, WriteString(text, buffer)));
        }
    }
}
