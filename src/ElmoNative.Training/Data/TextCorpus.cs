using System.Globalization;
using ElmoNative.Text;

namespace ElmoNative.Training.Data;

/// <summary>One file of a <see cref="TextCorpus"/>: its path and what the opening scan counted.</summary>
/// <param name="Path">The file, as the pattern expanded to.</param>
/// <param name="Sentences">Non-blank lines.</param>
/// <param name="Words">Whitespace-separated tokens.</param>
public sealed record CorpusFile(string Path, long Sentences, long Words);

/// <summary>
/// Training or evaluation text: one or more UTF-8 files (bilm-tf's shards) of one tokenized sentence per line; blank
/// lines are skipped. <see cref="Open(IEnumerable{string}, CancellationToken)"/> scans every file once, so that a missing file, a pattern
/// matching nothing, a file without any sentence or invalid UTF-8 is reported before training starts (one line naming
/// the file, and the line for bad bytes); the readers then load one file at a time, so memory stays bounded by the
/// largest file.
/// </summary>
public sealed class TextCorpus
{
    private TextCorpus(IReadOnlyList<CorpusFile> files) => Files = files;

    /// <summary>The files, in the order the patterns gave them (each pattern's matches sorted ordinally).</summary>
    public IReadOnlyList<CorpusFile> Files { get; }

    /// <summary>Sentences in all files.</summary>
    public long Sentences => Files.Sum(f => f.Sentences);

    /// <summary>Words in all files.</summary>
    public long Words => Files.Sum(f => f.Words);

    /// <summary>
    /// Predictions per direction in one pass: every word plus the sentence end (<c>&lt;/S&gt;</c> forward,
    /// <c>&lt;S&gt;</c> backward) of every sentence, i.e. <see cref="Words"/> + <see cref="Sentences"/>.
    /// </summary>
    public long Tokens => Words + Sentences;

    /// <summary>Opens the files matched by one pattern (see <see cref="FileGlob"/>).</summary>
    public static TextCorpus Open(string pattern, CancellationToken cancellation = default) => Open([pattern], cancellation);

    /// <summary>Opens the files matched by the patterns, scanning each (see the class summary for the errors).</summary>
    public static TextCorpus Open(IEnumerable<string> patterns, CancellationToken cancellation = default)
    {
        var files = new List<CorpusFile>();
        foreach (string path in FileGlob.ExpandAll(patterns, "text file"))
        {
            long sentences = 0, words = 0;
            using (var reader = new Utf8LineReader(path, "text file"))
            {
                while (reader.TryRead(out string? line))
                {
                    if ((reader.LineNumber & 4095) == 0) cancellation.ThrowIfCancellationRequested();
                    int n = CountTokens(line);
                    if (n == 0) continue;
                    sentences++;
                    words += n;
                }
            }
            if (sentences == 0) throw new InvalidDataException($"{path}: text file holds no sentence (it is empty or blank)");
            files.Add(new CorpusFile(path, sentences, words));
        }
        return new TextCorpus(files);
    }

    /// <summary>The sentences of file <paramref name="index"/>, in file order, each as its tokens.</summary>
    internal List<string[]> LoadSentences(int index)
    {
        var file = Files[index];
        var sentences = new List<string[]>((int)Math.Min(file.Sentences, int.MaxValue));
        using var reader = new Utf8LineReader(file.Path, "text file");
        while (reader.TryRead(out string? line))
        {
            string[] tokens = Tokenizer.Split(line);
            if (tokens.Length > 0) sentences.Add(tokens);
        }
        if (sentences.Count != file.Sentences)
            throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture,
                $"{file.Path}: text file changed during training ({sentences.Count} sentences now, {file.Sentences} when opened)"));
        return sentences;
    }

    private static int CountTokens(string line)
    {
        int count = 0;
        bool inToken = false;
        foreach (char c in line)
        {
            bool space = char.IsWhiteSpace(c);
            if (!space && !inToken) count++;
            inToken = !space;
        }
        return count;
    }
}
