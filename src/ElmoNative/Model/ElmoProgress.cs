namespace ElmoNative;

/// <summary>
/// How far a long embedding run has got: sentences and tokens embedded so far (reported after each batch, counts only
/// grow; the last report holds the totals). See <see cref="ElmoModel.EmbedStreamAsync(IAsyncEnumerable{IReadOnlyList{string}}, int, IProgress{ElmoProgress}?, CancellationToken)"/>.
/// </summary>
/// <param name="Sentences">Sentences embedded so far.</param>
/// <param name="Tokens">Tokens of those sentences.</param>
public readonly record struct ElmoProgress(long Sentences, long Tokens);
