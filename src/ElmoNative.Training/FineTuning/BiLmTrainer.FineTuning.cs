using System.Globalization;
using ElmoNative.Checkpoints;
using ElmoNative.Training.Data;

namespace ElmoNative.Training;

public sealed partial class BiLmTrainer
{
    /// <summary>
    /// A fine-tuning start (docs/training.md, "Fine-tuning"): the character CNN, highway, projection and LSTM weights come
    /// from <paramref name="model"/>, whose architecture <paramref name="options"/> must have (otherwise
    /// <see cref="InvalidDataException"/> naming the checkpoint's options file and the field). The softmax row of each
    /// word of <paramref name="vocabulary"/> that the checkpoint's own vocabulary holds is copied from its
    /// <c>softmax/W</c> and <c>softmax/b</c>; every other row starts fresh, as a new model's does (from
    /// <paramref name="seed"/>), and all of them do when the weights have no softmax (published AllenNLP files) or no
    /// vocabulary is known for it. Adagrad accumulators start at their initial value, the step at 0.
    /// </summary>
    public static BiLmTrainer InitializeFrom(PretrainedModel model, TrainingOptions options, Vocabulary vocabulary, int seed, out FineTuningStart start)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (vocabulary.Count != options.VocabularySize)
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"the vocabulary has {vocabulary.Count} tokens but n_tokens_vocab is {options.VocabularySize}"), nameof(vocabulary));
        Checkpoint checkpoint;
        try
        {
            checkpoint = Checkpoint.Load(model.OptionsFile, model.WeightsFile);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{model.OptionsFile}: invalid options ({e.Message})", e);
        }
        string? difference = ArchitectureDifference(checkpoint.Options, options.Model);
        if (difference is not null)
            throw new InvalidDataException($"{model.OptionsFile}: {difference} in the checkpoint differs from the training options");

        var trainer = new BiLmTrainer(options, seed);
        try
        {
            foreach (var t in trainer.layout.Tensors)
            {
                if (t.Name is ParameterLayout.SoftmaxWeight or ParameterLayout.SoftmaxBias) continue;
                checkpoint[t.Name].AsSpan().CopyTo(trainer.parameters.View(t));
            }
            var (rows, reason) = trainer.CopySoftmaxRows(model, vocabulary);
            start = new FineTuningStart(model, rows, vocabulary.Count, reason);
        }
        catch
        {
            trainer.Dispose();
            throw;
        }
        return trainer;
    }

    /// <summary>Copies the checkpoint's softmax rows of the words both vocabularies hold; returns how many, and why the rest start fresh.</summary>
    private (int Rows, string Reason) CopySoftmaxRows(PretrainedModel model, Vocabulary vocabulary)
    {
        string path = model.WeightsFile;
        using var file = OpenHdf5(path);
        bool hasSoftmax;
        try
        {
            hasSoftmax = file.LinkExists("softmax") && file.Get("softmax") is PureHDF.IH5Group group && group.LinkExists("W") && group.LinkExists("b");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"{path}: cannot look up the softmax datasets ({e.Message})", e);
        }
        if (!hasSoftmax) return (0, $"{path} has no softmax (softmax/W, softmax/b): the softmax starts fresh for the new vocabulary");
        if (model.VocabularyFile is null) return (0, $"no vocab.txt beside {path} says which word each softmax row is: the softmax starts fresh");
        var old = Vocabulary.Load(model.VocabularyFile);
        int p = Options.Model.ProjectionDim;
        var weights = new float[(long)old.Count * p];
        var biases = new float[old.Count];
        ReadDataset(file, path, ParameterLayout.SoftmaxWeight, [old.Count, p], weights);
        ReadDataset(file, path, ParameterLayout.SoftmaxBias, [old.Count], biases);
        int copied = 0;
        for (int id = 0; id < vocabulary.Count; id++)
        {
            string word = vocabulary[id];
            if (!old.Contains(word)) continue;
            int from = old.IdOf(word);
            weights.AsSpan(from * p, p).CopyTo(parameters.Data.AsSpan(softmaxWeight.Offset + id * p, p));
            parameters.Data[softmaxBias.Offset + id] = biases[from];
            copied++;
        }
        string reason = copied == vocabulary.Count
            ? $"every softmax row comes from {path} (vocabulary {model.VocabularyFile})"
            : string.Create(CultureInfo.InvariantCulture, $"{vocabulary.Count - copied} words are not in {model.VocabularyFile}: their softmax rows start fresh");
        return (copied, reason);
    }
}
