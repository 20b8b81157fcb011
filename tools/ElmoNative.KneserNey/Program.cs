using System.Diagnostics;
using System.Globalization;
using ElmoNative.KneserNey;
using ElmoNative.Training.Data;

// The Kneser-Ney baseline of the model card (docs/models.md, "The shipped model and its card"): trains a forward and a
// backward (reversed sentences) interpolated modified Kneser-Ney model on --train and prints each --test file's perplexity under the protocol of
// `elmo perplexity`: the model's vocabulary, out-of-vocabulary words as <UNK>, every word and </S> predicted, <S> never,
// each sentence on its own from <S>.
const string Usage = "usage: kneser-ney --vocab vocab.txt --train FILE --test FILE [--test FILE ...] [--order 5]";
string? vocabPath = null, trainPath = null;
var tests = new List<string>();
int order = 5;
try
{
    for (int i = 0; i < args.Length; i++)
    {
        string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"option '{args[i]}' needs a value");
        switch (args[i])
        {
            case "--vocab": vocabPath = Next(); break;
            case "--train": trainPath = Next(); break;
            case "--test": tests.Add(Next()); break;
            case "--order":
                string text = Next();
                if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out order) || order is < 1 or > 5)
                    throw new ArgumentException($"--order must be 1 to 5, not '{text}'");
                break;
            case "--help" or "-h": Console.WriteLine(Usage); return 0;
            default: throw new ArgumentException($"unknown option '{args[i]}'");
        }
    }
    if (vocabPath is null || trainPath is null || tests.Count == 0) throw new ArgumentException("--vocab, --train and --test are required");
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"kneser-ney: {e.Message} ({Usage})");
    return 2;
}

try
{
    var vocabulary = Vocabulary.Load(vocabPath);
    var c = CultureInfo.InvariantCulture;
    foreach (bool backward in new[] { false, true })
    {
        var clock = Stopwatch.StartNew();
        var model = new KneserNeyModel(TextSentences.Read(trainPath, vocabulary, backward), order, vocabulary.Count, vocabulary.BeginOfSentenceId, vocabulary.EndOfSentenceId);
        string direction = backward ? "backward" : "forward";
        Console.WriteLine(string.Format(c, "{0}: {1}; trained in {2:F1} s", direction, model, clock.Elapsed.TotalSeconds));
        for (int k = 1; k <= order; k++) Console.WriteLine(string.Format(c, "  order {0}: {1}", k, model.DiscountsOf(k)));
        foreach (string test in tests)
        {
            var (perplexity, tokens) = TextSentences.Perplexity(model, TextSentences.Read(test, vocabulary, backward));
            Console.WriteLine(string.Format(c, "{0} perplexity {1}: {2:F2} ({3} tokens)", direction, test, perplexity, tokens));
        }
    }
    return 0;
}
catch (Exception e) when (e is IOException or InvalidDataException or FormatException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"kneser-ney: {e.Message}");
    return 1;
}
