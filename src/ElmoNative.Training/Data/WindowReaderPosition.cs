using System.Text.Json;
using System.Text.Json.Serialization;
using ElmoNative.Checkpoints;

namespace ElmoNative.Training.Data;

/// <summary>One row of a saved <see cref="WindowReaderPosition"/>: its current sentence and the next forward input index in it.</summary>
/// <param name="Words">The words of the sentence the row is reading (null before the first window).</param>
/// <param name="Offset">Index of the row's next input in <c>&lt;S&gt; words &lt;/S&gt;</c>.</param>
public sealed record WindowRowPosition(string[]? Words, int Offset);

/// <summary>
/// Where a <see cref="TrainingWindowReader"/> stands, explicitly: the next sentence of the shared sequence (pass,
/// index in the pass's shuffled file order, index in that file's shuffled sentences) and each row's partly read
/// sentence. Restoring it continues with exactly the windows the reader would have produced; it holds B sentences,
/// not the data. Saved as JSON next to a checkpoint (<see cref="FileName"/>).
/// </summary>
public sealed record WindowReaderPosition
{
    /// <summary>The file name in a checkpoint directory.</summary>
    public const string FileName = "reader_position.json";

    /// <summary>The shuffling seed.</summary>
    public required int Seed { get; init; }

    /// <summary>B.</summary>
    public required int Batch { get; init; }

    /// <summary>T.</summary>
    public required int Steps { get; init; }

    /// <summary>Full paths of the training files, in corpus order.</summary>
    public required string[] Files { get; init; }

    /// <summary>Windows read so far.</summary>
    public required long Windows { get; init; }

    /// <summary>Pass over the data of the next sentence (0-based).</summary>
    public required long Pass { get; init; }

    /// <summary>Index of the next sentence's file in the pass's shuffled file order.</summary>
    public required int FileCursor { get; init; }

    /// <summary>Index of the next sentence in that file's shuffled sentences.</summary>
    public required int SentenceCursor { get; init; }

    /// <summary>The B rows.</summary>
    public required WindowRowPosition[] Rows { get; init; }

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    /// <summary>Writes the position as JSON through a temporary file.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, Json));

    /// <summary>Reads a saved position; a bad file is an <see cref="InvalidDataException"/> naming it.</summary>
    public static WindowReaderPosition Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new FileNotFoundException($"{path}: cannot read the reader position ({e.Message})", path, e);
        }
        try
        {
            var position = JsonSerializer.Deserialize<WindowReaderPosition>(text, Json) ?? throw new InvalidDataException($"{path}: empty reader position");
            if (position.Files is null || position.Files.Any(f => f is null) || position.Rows is null || position.Rows.Any(r => r is null || (r.Words is { } w && w.Any(x => x is null))))
                throw new InvalidDataException($"{path}: inconsistent reader position (a null where a value belongs)");
            if (position.Rows.Length != position.Batch || position.Windows < 0 || position.Pass < 0 || position.FileCursor < 0 || position.SentenceCursor < 0
                || position.Rows.Any(r => r.Offset < 0 || (r.Words is { } w && r.Offset > w.Length + 1)))
                throw new InvalidDataException($"{path}: inconsistent reader position");
            return position;
        }
        catch (JsonException e) when (e.Path is { Length: > 2 } field && e.InnerException is null or FormatException or InvalidOperationException or OverflowException)
        {
            // A value of the wrong type or out of range (a seed of 2^63): the field, not the serializer's wording.
            throw new InvalidDataException($"{path}: '{field[2..]}' is out of range or not of the right type (line {e.LineNumber + 1})", e);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a reader position ({e.Message.Split('\n')[0]})", e);
        }
    }

    /// <summary>Value equality (the arrays element by element).</summary>
    public bool Equals(WindowReaderPosition? other) =>
        other is not null && Seed == other.Seed && Batch == other.Batch && Steps == other.Steps && Files.SequenceEqual(other.Files)
        && Windows == other.Windows && Pass == other.Pass && FileCursor == other.FileCursor && SentenceCursor == other.SentenceCursor
        && Rows.Length == other.Rows.Length
        && Rows.Zip(other.Rows).All(p => p.First.Offset == p.Second.Offset
            && (p.First.Words is null ? p.Second.Words is null : p.Second.Words is not null && p.First.Words.SequenceEqual(p.Second.Words)));

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Seed, Batch, Steps, Windows, Pass, FileCursor, SentenceCursor);
}
