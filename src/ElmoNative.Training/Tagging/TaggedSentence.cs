namespace ElmoNative.Training.Tagging;

/// <summary>One sentence of a tagged file: its words, their tags (already converted by the tag scheme) and its line.</summary>
/// <param name="Words">The words, in order.</param>
/// <param name="Tags">One tag per word.</param>
/// <param name="Line">The 1-based line of the file it comes from.</param>
public sealed record TaggedSentence(string[] Words, string[] Tags, int Line);
