namespace ElmoNative.Training.Data;

/// <summary>
/// One window of truncated backpropagation through time: B rows of T consecutive tokens, for each direction.
/// Direction 0 reads each row's stream of sentences (<c>&lt;S&gt; w1 .. wn &lt;/S&gt;</c>, concatenated) left to right and
/// predicts the next token; direction 1 reads the reversed stream (<c>&lt;/S&gt; wn .. w1 &lt;S&gt;</c>) and predicts the next
/// token of that stream, i.e. the previous token of the text (bilm-tf's <c>token_ids_reverse</c>,
/// <c>next_token_id_reverse</c>). Row b of window k + 1 continues row b of window k, so LSTM state is carried over.
/// Layouts are batch-major: token (b, t) is at index <c>b * T + t</c>; its character ids at <c>(b * T + t) * W</c>.
/// </summary>
public sealed class TrainingWindow
{
    /// <summary>Allocates the buffers of a window of <paramref name="batch"/> rows and <paramref name="steps"/> steps.</summary>
    public TrainingWindow(int batch, int steps, int charsPerToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(steps);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(charsPerToken);
        Batch = batch;
        Steps = steps;
        CharsPerToken = charsPerToken;
        for (int d = 0; d < 2; d++)
        {
            TokenIds[d] = new int[batch * steps];
            TargetIds[d] = new int[batch * steps];
            CharIds[d] = new int[batch * steps * charsPerToken];
        }
    }

    /// <summary>B: rows (independent streams).</summary>
    public int Batch { get; }

    /// <summary>T: steps per window (<c>unroll_steps</c>).</summary>
    public int Steps { get; }

    /// <summary>W: character ids per token (<c>max_characters_per_token</c>).</summary>
    public int CharsPerToken { get; }

    /// <summary>[direction][B * T] vocabulary ids of the input tokens (unknown words are <c>&lt;UNK&gt;</c>).</summary>
    public int[][] TokenIds { get; } = new int[2][];

    /// <summary>[direction][B * T] vocabulary ids of the token each position must predict (the next one of its stream).</summary>
    public int[][] TargetIds { get; } = new int[2][];

    /// <summary>
    /// [direction][B * T * W] character ids of the input tokens, as <see cref="ElmoNative.Text.CharacterIds.Map(string, Span{int})"/>
    /// writes them (from the word itself, so unknown words keep their spelling).
    /// </summary>
    public int[][] CharIds { get; } = new int[2][];
}
