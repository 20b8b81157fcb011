namespace ElmoNative.Training.Tagging;

/// <summary>Which tags a tagger learns from the tags written in a tagged file (docs/tagger.md, "Tag sets").</summary>
public enum TagScheme
{
    /// <summary>
    /// Brown base tags: the corpus tag upper-cased, with its <c>-TL</c>, <c>-HL</c>, <c>-NC</c> suffixes removed; compound
    /// tags (<c>PPS+BEZ</c>), the negation mark <c>*</c> (<c>BEZ*</c>) and the foreign-word prefix (<c>FW-NN</c>) are
    /// kept. The 232 tags are fixed in advance (those of the published Brown tag list), whatever the training file holds.
    /// </summary>
    Brown,

    /// <summary>The 12 universal tags of Petrov, Das and McDonald (2012), through their Brown mapping (en-brown.map).</summary>
    Universal,

    /// <summary>The tags as written; the tag set is the one the training file holds.</summary>
    AsWritten,
}
