using ElmoNative.Text;

namespace ElmoNative.Training.Data;

/// <summary>
/// The B row streams of a window reader, as bilm-tf's <c>_get_batch</c> keeps them: each row holds its current
/// sentence and how far it has read; when only the sentence's last token is left, the row pulls the next sentence of
/// the shared sequence. Forward, a sentence of n words is read as inputs <c>&lt;S&gt; w1 .. wn</c> predicting
/// <c>w1 .. wn &lt;/S&gt;</c>; backward as inputs <c>&lt;/S&gt; wn .. w1</c> predicting <c>wn .. w1 &lt;S&gt;</c>
/// (bilm-tf reverses the words and frames them the other way round). So <c>&lt;/S&gt;</c> (forward) and <c>&lt;S&gt;</c>
/// (backward) are only ever predicted, never inputs, and each sentence takes n + 1 steps in both directions: the two
/// directions of a row read the same sentences at the same steps.
/// </summary>
internal sealed class RowStreams
{
    private readonly Vocabulary vocabulary;
    private readonly string[]?[] words;
    private readonly int[]?[] framed; // [row] ids of <S> w1 .. wn </S>
    private readonly int[] offsets;    // [row] index in framed of the next input (forward)
    private readonly bool[] exhausted; // [row] the data ended while the row needed a sentence (evaluation)

    public RowStreams(Vocabulary vocabulary, int batch)
    {
        this.vocabulary = vocabulary;
        words = new string[batch][];
        framed = new int[batch][];
        offsets = new int[batch];
        exhausted = new bool[batch];
    }

    public int Batch => offsets.Length;

    /// <summary>Whether row <paramref name="b"/> has a token left to read (besides the last one, which is only predicted).</summary>
    public bool HasInput(int b) => framed[b] is { } f && offsets[b] < f.Length - 1;

    /// <summary>Row <paramref name="b"/>'s current sentence (null if none) and offset.</summary>
    public (string[]? Words, int Offset) RowState(int b) => (words[b], offsets[b]);

    /// <summary>Sets row <paramref name="b"/> to <paramref name="sentence"/> read from <paramref name="offset"/>.</summary>
    public void SetRow(int b, string[]? sentence, int offset)
    {
        words[b] = sentence;
        offsets[b] = offset;
        if (sentence is null)
        {
            framed[b] = null;
            return;
        }
        var ids = new int[sentence.Length + 2];
        ids[0] = vocabulary.BeginOfSentenceId;
        for (int i = 0; i < sentence.Length; i++) ids[i + 1] = vocabulary.IdOf(sentence[i]);
        ids[^1] = vocabulary.EndOfSentenceId;
        framed[b] = ids;
    }

    /// <summary>
    /// Fills <paramref name="window"/>, pulling sentences from <paramref name="next"/> (null: no more) as rows need
    /// them. Positions after the end of the data are padding: ids -1 and all-zero character ids. Returns the number
    /// of real (non-padding) positions per direction.
    /// </summary>
    public int Fill(TrainingWindow window, Func<string[]?> next)
    {
        int steps = window.Steps, width = window.CharsPerToken;
        int real = 0;
        for (int b = 0; b < Batch; b++)
        {
            for (int t = 0; t < steps; t++)
            {
                int at = b * steps + t;
                if (!HasInput(b))
                {
                    var sentence = exhausted[b] ? null : next();
                    if (sentence is null)
                    {
                        exhausted[b] = true; // the row stays padding from here on
                        SetRow(b, null, 0);
                        Pad(window, at, width);
                        continue;
                    }
                    SetRow(b, sentence, 0);
                }
                var ids = framed[b]!;
                var text = words[b]!;
                int k = offsets[b]++;
                int n = ids.Length;
                // Forward: input framed[k], target framed[k + 1]. Backward: the reversed framing r[k] = framed[n-1-k].
                window.TokenIds[0][at] = ids[k];
                window.TargetIds[0][at] = ids[k + 1];
                window.TokenIds[1][at] = ids[n - 1 - k];
                window.TargetIds[1][at] = ids[n - 2 - k];
                CharacterIds.Map(Token(text, k), window.CharIds[0].AsSpan(at * width, width));
                CharacterIds.Map(Token(text, n - 1 - k), window.CharIds[1].AsSpan(at * width, width));
                real++;
            }
        }
        return real;
    }

    /// <summary>The text of position <paramref name="j"/> of the framed sentence <c>&lt;S&gt; words &lt;/S&gt;</c>.</summary>
    private static string Token(string[] sentence, int j) =>
        j == 0 ? CharacterIds.BeginOfSentence : j == sentence.Length + 1 ? CharacterIds.EndOfSentence : sentence[j - 1];

    private static void Pad(TrainingWindow window, int at, int width)
    {
        for (int d = 0; d < 2; d++)
        {
            window.TokenIds[d][at] = -1;
            window.TargetIds[d][at] = -1;
            window.CharIds[d].AsSpan(at * width, width).Clear();
        }
    }
}
