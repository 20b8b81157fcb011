namespace ElmoNative.Training.Tagging;

/// <summary>Scoring of predicted tags against reference tags, token by token.</summary>
public static class TaggerEvaluation
{
    /// <summary>Whether each token (all sentences, in order) was tagged right.</summary>
    public static bool[] Correct(int[][] predicted, int[][] reference)
    {
        ArgumentNullException.ThrowIfNull(predicted);
        ArgumentNullException.ThrowIfNull(reference);
        if (predicted.Length != reference.Length) throw new ArgumentException($"{predicted.Length} predicted sentences, {reference.Length} reference sentences", nameof(reference));
        var result = new List<bool>();
        for (int s = 0; s < predicted.Length; s++)
        {
            if (predicted[s].Length != reference[s].Length) throw new ArgumentException($"sentence {s}: {predicted[s].Length} predicted tags, {reference[s].Length} reference tags", nameof(reference));
            for (int t = 0; t < predicted[s].Length; t++) result.Add(predicted[s][t] == reference[s][t]);
        }
        return result.ToArray();
    }

    /// <summary>The fraction of tokens tagged right (0 for no tokens).</summary>
    public static double Accuracy(int[][] predicted, int[][] reference)
    {
        var correct = Correct(predicted, reference);
        return correct.Length == 0 ? 0 : correct.Count(c => c) / (double)correct.Length;
    }
}
