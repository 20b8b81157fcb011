using System.Text;
using ElmoNative.Training.Data;

namespace ElmoNative.KneserNey;

/// <summary>
/// One-sentence-per-line text as token ids, read as <c>elmo perplexity</c> reads it (docs/training.md, "Text"): tokens
/// split on whitespace, blank lines skipped, words outside the vocabulary mapped to <c>&lt;UNK&gt;</c>.
/// </summary>
public static class TextSentences
{
    /// <summary>The sentences of <paramref name="path"/>, each reversed when <paramref name="reversed"/> (the backward model's text).</summary>
    public static List<int[]> Read(string path, Vocabulary vocabulary, bool reversed)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: text file not found", path);
        var sentences = new List<int[]>();
        int number = 0;
        using var reader = new StreamReader(path, new UTF8Encoding(false, throwOnInvalidBytes: true));
        try
        {
            while (reader.ReadLine() is { } line)
            {
                number++;
                if (Tokenizer.IsBlank(line)) continue;
                var ids = Tokenizer.Split(line).Select(vocabulary.IdOf).ToArray();
                if (reversed) Array.Reverse(ids);
                sentences.Add(ids);
            }
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}:{number + 1}: invalid UTF-8 ({e.Message})", e);
        }
        if (sentences.Count == 0) throw new InvalidDataException($"{path}: no sentence in the file");
        return sentences;
    }

    /// <summary>The perplexity of <paramref name="model"/> on <paramref name="sentences"/>: exp of the mean loss per predicted token (words and ends).</summary>
    public static (double Perplexity, long Tokens) Perplexity(KneserNeyModel model, IEnumerable<int[]> sentences)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sentences);
        double loss = 0;
        long tokens = 0;
        foreach (int[] sentence in sentences)
        {
            var (l, n) = model.SentenceLoss(sentence);
            loss += l;
            tokens += n;
        }
        return (Math.Exp(loss / tokens), tokens);
    }
}
