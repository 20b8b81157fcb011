using System.Text;
using ElmoNative.Checkpoints;
using ElmoNative.Text;

namespace ElmoNative.Training.Data;

/// <summary>
/// The word vocabulary of a biLM: the softmax classes, in bilm-tf's <c>vocab.txt</c> format (one token per line).
/// The three special tokens come first — <c>&lt;S&gt;</c> (id 0), <c>&lt;/S&gt;</c> (id 1), <c>&lt;UNK&gt;</c> (id 2) in a
/// vocabulary this class builds; a loaded file may have them in any order within its first three lines, as published
/// bilm-tf vocabularies do — then the words by descending count, ties broken by ordinal (UTF-16 code unit) order of
/// the word, so the same corpus always gives the same file. Ids are sorted by frequency, which the log-uniform
/// sampler of the sampled softmax assumes. A word absent from the vocabulary maps to <c>&lt;UNK&gt;</c>.
/// </summary>
public sealed class Vocabulary
{
    /// <summary>The unknown-word token.</summary>
    public const string Unknown = "<UNK>";

    private readonly string[] words;
    private readonly Dictionary<string, int> ids;

    private Vocabulary(string[] words, long[]? counts, string source)
    {
        this.words = words;
        Counts = counts;
        ids = new Dictionary<string, int>(words.Length, StringComparer.Ordinal);
        for (int i = 0; i < words.Length; i++) ids.Add(words[i], i);
        BeginOfSentenceId = ids.GetValueOrDefault(CharacterIds.BeginOfSentence, -1);
        EndOfSentenceId = ids.GetValueOrDefault(CharacterIds.EndOfSentence, -1);
        UnknownId = ids.GetValueOrDefault(Unknown, -1);
        if (BeginOfSentenceId is < 0 or > 2 || EndOfSentenceId is < 0 or > 2 || UnknownId is < 0 or > 2)
            throw new InvalidDataException($"{source}: the first three lines must be the special tokens <S>, </S> and <UNK>");
    }

    /// <summary>V: the number of tokens, special tokens included (bilm-tf's <c>n_tokens_vocab</c>).</summary>
    public int Count => words.Length;

    /// <summary>The token of id <paramref name="id"/>.</summary>
    public string this[int id] => words[id];

    /// <summary>Id of <c>&lt;S&gt;</c> (0 in a built vocabulary).</summary>
    public int BeginOfSentenceId { get; }

    /// <summary>Id of <c>&lt;/S&gt;</c> (1 in a built vocabulary).</summary>
    public int EndOfSentenceId { get; }

    /// <summary>Id of <c>&lt;UNK&gt;</c> (2 in a built vocabulary).</summary>
    public int UnknownId { get; }

    /// <summary>
    /// The corpus count of each token when the vocabulary was built (<c>&lt;S&gt;</c> and <c>&lt;/S&gt;</c>: the number of
    /// sentences; <c>&lt;UNK&gt;</c>: the tokens of the words left out); null for a loaded vocabulary.
    /// </summary>
    public IReadOnlyList<long>? Counts { get; }

    /// <summary>The id of <paramref name="word"/>, or <see cref="UnknownId"/> when it is not in the vocabulary.</summary>
    public int IdOf(string word) => ids.TryGetValue(word, out int id) ? id : UnknownId;

    /// <summary>Whether <paramref name="word"/> has its own id.</summary>
    public bool Contains(string word) => ids.ContainsKey(word);

    /// <summary>The tokens in id order.</summary>
    public IReadOnlyList<string> Words => words;

    /// <summary>A vocabulary of exactly <paramref name="tokens"/>, in that order (the special tokens must be among the first three).</summary>
    public static Vocabulary FromTokens(IEnumerable<string> tokens, string source = "vocabulary")
    {
        var list = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string token in tokens)
        {
            CheckToken(token, $"{source}: token {list.Count + 1}");
            if (!seen.Add(token)) throw new InvalidDataException($"{source}: token {list.Count + 1} \"{token}\" appears twice");
            list.Add(token);
        }
        return new Vocabulary(list.ToArray(), null, source);
    }

    /// <summary>
    /// Reads a <c>vocab.txt</c>: UTF-8, one token per line (whitespace around it ignored, as bilm-tf strips lines).
    /// Errors (<see cref="InvalidDataException"/>, naming file and line): an empty line, a line of two tokens, a token
    /// that appears twice, invalid UTF-8, or the special tokens not in the first three lines.
    /// </summary>
    public static Vocabulary Load(string path)
    {
        var list = new List<string>();
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        using (var reader = new Utf8LineReader(path, "vocabulary file"))
        {
            while (reader.TryRead(out string? line))
            {
                string token = line.Trim();
                string where = $"{path}:{reader.LineNumber}";
                if (token.Length == 0) throw new InvalidDataException($"{where}: empty line in the vocabulary");
                CheckToken(token, where);
                if (!firstLine.TryAdd(token, reader.LineNumber))
                    throw new InvalidDataException($"{where}: \"{token}\" already appears on line {firstLine[token]}");
                list.Add(token);
            }
        }
        if (list.Count == 0) throw new InvalidDataException($"{path}: vocabulary file is empty");
        for (int i = 0; i < Math.Min(3, list.Count); i++)
        {
            if (list[i] is not (CharacterIds.BeginOfSentence or CharacterIds.EndOfSentence or Unknown))
                throw new InvalidDataException($"{path}:{i + 1}: expected one of the special tokens <S>, </S>, <UNK> (the first three lines), found \"{list[i]}\"");
        }
        return new Vocabulary(list.ToArray(), null, path);
    }

    /// <summary>
    /// Counts the whitespace-separated tokens of one-sentence-per-line text files and keeps the words seen at least
    /// <paramref name="minCount"/> times (the others will map to <c>&lt;UNK&gt;</c>). Order: <c>&lt;S&gt;</c>, <c>&lt;/S&gt;</c>,
    /// <c>&lt;UNK&gt;</c>, then descending count, ties in ordinal order. Literal special tokens in the text are counted
    /// with them, not as words.
    /// </summary>
    public static Vocabulary Build(IEnumerable<string> files, int minCount = 1, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minCount);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        long sentences = 0, specialBos = 0, specialEos = 0, specialUnk = 0;
        foreach (string file in files)
        {
            using var reader = new Utf8LineReader(file, "text file");
            while (reader.TryRead(out string? line))
            {
                if ((reader.LineNumber & 4095) == 0) cancellation.ThrowIfCancellationRequested();
                string[] tokens = Tokenizer.Split(line);
                if (tokens.Length == 0) continue;
                sentences++;
                foreach (string token in tokens)
                {
                    switch (token)
                    {
                        case CharacterIds.BeginOfSentence: specialBos++; break;
                        case CharacterIds.EndOfSentence: specialEos++; break;
                        case Unknown: specialUnk++; break;
                        default:
                            counts[token] = counts.GetValueOrDefault(token) + 1;
                            break;
                    }
                }
            }
        }
        var kept = counts.Where(p => p.Value >= minCount).ToList();
        kept.Sort((a, b) => a.Value != b.Value ? b.Value.CompareTo(a.Value) : string.CompareOrdinal(a.Key, b.Key));
        long unknown = specialUnk + counts.Where(p => p.Value < minCount).Sum(p => p.Value);
        string[] words = [CharacterIds.BeginOfSentence, CharacterIds.EndOfSentence, Unknown, .. kept.Select(p => p.Key)];
        long[] wordCounts = [sentences + specialBos, sentences + specialEos, unknown, .. kept.Select(p => p.Value)];
        return new Vocabulary(words, wordCounts, "vocabulary");
    }

    /// <summary>Writes the vocabulary, one token per line (UTF-8, LF), through a temporary file renamed at the end.</summary>
    public void Save(string path)
    {
        var text = new StringBuilder();
        foreach (string word in words) text.Append(word).Append('\n');
        AtomicFile.Write(path, temp => File.WriteAllText(temp, text.ToString(), new UTF8Encoding(false)));
    }

    private static void CheckToken(string token, string where)
    {
        if (token.Length == 0) throw new InvalidDataException($"{where}: empty token");
        if (token.Any(char.IsWhiteSpace)) throw new InvalidDataException($"{where}: line holds more than one token");
    }
}
