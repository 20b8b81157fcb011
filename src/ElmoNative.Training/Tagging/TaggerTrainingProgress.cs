namespace ElmoNative.Training.Tagging;

/// <summary>Where training stands: after each batch (<see cref="ValidAccuracy"/> null) and at the end of each epoch.</summary>
/// <param name="Epoch">The 1-based epoch.</param>
/// <param name="SentencesDone">Training sentences done in all epochs so far.</param>
/// <param name="Loss">Mean training cross-entropy over the epoch so far.</param>
/// <param name="ValidAccuracy">Validation accuracy at the end of the epoch, else null.</param>
public sealed record TaggerTrainingProgress(int Epoch, long SentencesDone, double Loss, double? ValidAccuracy);
