namespace ElmoNative.Training.Tagging;

/// <summary>Which ELMo representation the tagger's classifier sees (docs/tagger.md).</summary>
public enum LayerMixMode
{
    /// <summary>gamma * sum_j softmax(w)_j h_j, with w and gamma trained with the classifier (Peters et al. 2018, eq. 1).</summary>
    Learned,

    /// <summary>The top biLSTM layer alone.</summary>
    Top,

    /// <summary>Layer 0 alone: the character CNN's token representation, context-independent.</summary>
    Layer0,
}
