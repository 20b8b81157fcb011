using System.Globalization;
using ElmoNative.Checkpoints;
using ElmoNative.Text;

namespace ElmoNative.Output;

/// <summary>
/// Embeds one-sentence-per-line text into the HDF5 file of AllenNLP's <c>elmo</c> command (what <c>elmo embed</c>
/// writes; docs/formats.md): one float32 dataset per line and <c>sentence_to_index</c>, as
/// <see cref="EmbeddingFileOptions"/> choose. One pass: a line is read and checked, batched, embedded and its dataset
/// written from the batch output; memory does not grow with the input (except the keys of
/// <see cref="EmbeddingFileLayout.SentenceKeys"/>). The file is written to a temporary name beside the output and
/// renamed at the end, so nothing partial is left behind on an error or cancellation.
/// <para>
/// Lines are read as AllenNLP reads them: <c>line.strip()</c>, then <c>.split()</c> (Python's whitespace). An empty
/// or whitespace-only line, invalid UTF-8, input without any line, and, with sentence keys, a repeated sentence or one
/// HDF5 cannot take as a name are <see cref="InvalidDataException"/>s naming the input, the 1-based line and its
/// 0-based index.
/// </para>
/// </summary>
public static class EmbeddingFile
{
    /// <summary>
    /// Embeds the lines of <paramref name="lines"/> with <paramref name="model"/> into <paramref name="outputPath"/>
    /// (replaced if it exists). <paramref name="progress"/> gets the counts after each batch, on the calling thread.
    /// Returns the sentences and tokens written.
    /// </summary>
    public static EmbeddingFileProgress Write(ElmoModel model, Utf8LineReader lines, string outputPath, EmbeddingFileOptions? options = null,
                                              IProgress<EmbeddingFileProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(outputPath);
        return Write(model, lines, write => AtomicFile.Write(outputPath, write), options, progress, cancellation);
    }

    /// <summary>
    /// As <see cref="Write(ElmoModel, Utf8LineReader, string, EmbeddingFileOptions?, IProgress{EmbeddingFileProgress}?, CancellationToken)"/>,
    /// into <paramref name="output"/> (standard output, a network stream; not disposed): HDF5 is written with seeks, so
    /// the file is made in the system's temporary folder and copied into the stream once complete (nothing is copied
    /// on an error), then deleted.
    /// </summary>
    public static EmbeddingFileProgress Write(ElmoModel model, Utf8LineReader lines, Stream output, EmbeddingFileOptions? options = null,
                                              IProgress<EmbeddingFileProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(output);
        return Write(model, lines, write => AtomicFile.WriteTo(output, write), options, progress, cancellation);
    }

    /// <summary>
    /// The embed, with <paramref name="save"/> running the file writer on a temporary path and putting the file in place;
    /// <paramref name="firstIndex"/> numbers the datasets from there on (a shard's first global line; docs/scale-out.md).
    /// </summary>
    internal static EmbeddingFileProgress Write(ElmoModel model, Utf8LineReader lines, Action<Action<string>> save, EmbeddingFileOptions? options,
                                               IProgress<EmbeddingFileProgress>? progress, CancellationToken cancellation, long firstIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(lines);
        options ??= new EmbeddingFileOptions();
        if (options.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "the batch size must be positive");
        if (!Enum.IsDefined(options.Layers)) throw new ArgumentOutOfRangeException(nameof(options), options.Layers, "unknown layer selection");
        if (options.WindowSentences <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.WindowSentences, "the window must hold at least one sentence");
        if (options.WindowTokens <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.WindowTokens, "the window's tokens must be positive");
        if (options.BatchTokens is <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.BatchTokens, "the batch tokens must be positive");
        if (options.BatchRows is <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.BatchRows, "the batch rows must be positive");

        int layerCount = model.LayerCount, dim = model.Dim;
        var average = options.Layers == EmbeddingLayers.Average ? ScalarMix.Average(layerCount) : null;
        if (options.MaxSentenceTokens <= 0) throw new ArgumentOutOfRangeException(nameof(options), options.MaxSentenceTokens, "the most tokens of a sentence must be positive");
        var reader = new SentenceReader(lines, options.Layout == EmbeddingFileLayout.SentenceKeys, options.MaxSentenceTokens);
        var sentence = reader.Next();
        if (sentence is null) throw new InvalidDataException($"{lines.Path}: input is empty (no sentences)");
        long written = 0, tokensDone = 0;
        if (!options.Stateful && options.Regroup)
        {
            var first = sentence;
            save(temp =>
            {
                using var writer = new EmbeddingFileWriter(temp, options.Layout, firstIndex);
                // Cancellation is seen at every line read too: a run stopped while its input trickles in stops at the next line.
                var regrouped = WriteRegrouped(model, writer, () =>
                {
                    cancellation.ThrowIfCancellationRequested();
                    return first is { } s ? Take(ref first, s) : reader.Next();
                }, options, progress, cancellation, windowWritten: reader.Recycle);
                writer.Finish();
                (written, tokensDone) = regrouped;
            });
            return new EmbeddingFileProgress(written, tokensDone);
        }
        save(temp =>
        {
            using var writer = new EmbeddingFileWriter(temp, options.Layout, firstIndex);
            // A batch of BatchSize lines is embedded in chunks of at most BatchRows rows, each chunk position with its
            // own state (rows j R .. j R + R - 1 of every batch continue from the same rows of the batch before): the
            // values of one batch of BatchSize rows, bit for bit (rows do not interact), with the activations of one
            // chunk in memory instead of the whole batch's (docs/reliability.md, "Memory").
            int chunkRows = Math.Min(options.BatchSize, options.BatchRows ?? SentenceWindow.BatchRowsFor(model.Options));
            var states = new List<ElmoState>();
            var batch = new List<IReadOnlyList<string>>(Math.Min(chunkRows, 4096));
            var texts = new List<ReadOnlyMemory<char>>(batch.Capacity);
            var output = new ElmoBatchOutput(); // reused from chunk to chunk
            float[] mixed = []; // [B, T, D] for the average of the layers, grown as needed
            float[] pooled = options.Pooling is null ? [] : new float[layerCount * dim];
            int row = 0; // rows of the current batch read so far
            while (true)
            {
                if (sentence is not null)
                {
                    batch.Add(sentence.Value.Tokens);
                    texts.Add(sentence.Value.Text);
                    row++;
                }
                if (batch.Count == chunkRows || row == options.BatchSize || (sentence is null && batch.Count > 0))
                {
                    cancellation.ThrowIfCancellationRequested();
                    ElmoState? state = null;
                    if (options.Stateful)
                    {
                        int chunk = (row - batch.Count) / chunkRows;
                        while (states.Count <= chunk) states.Add(model.CreateState());
                        state = states[chunk];
                    }
                    model.Embed(batch, output, state);
                    if (average is not null)
                    {
                        int size = output.Count * output.MaxLength * dim;
                        if (mixed.Length < size) mixed = new float[size];
                        average.Mix(output, mixed.AsSpan(0, size));
                    }
                    for (int b = 0; b < batch.Count; b++)
                    {
                        int n = output.Lengths[b];
                        var averaged = average is null ? default : mixed.AsSpan(b * output.MaxLength * dim, n * dim);
                        WriteSentence(writer, texts[b].Span, output, b, options, averaged, pooled);
                        tokensDone += n;
                    }
                    written += batch.Count;
                    batch.Clear();
                    texts.Clear();
                    reader.Recycle(); // every sentence read has been written
                    if (row == options.BatchSize)
                    {
                        row = 0;
                        progress?.Report(new EmbeddingFileProgress(written, tokensDone));
                    }
                }
                if (sentence is null) break;
                cancellation.ThrowIfCancellationRequested();
                sentence = reader.Next();
            }
            if (row != 0) progress?.Report(new EmbeddingFileProgress(written, tokensDone));
            writer.Finish();
        });
        return new EmbeddingFileProgress(written, tokensDone);
    }

    /// <summary>The most sentences a regrouping window of <paramref name="options"/> holds (its default: 128 x the batch size).</summary>
    internal static int WindowSentences(EmbeddingFileOptions options) => options.WindowSentences ?? (int)Math.Min(128L * options.BatchSize, 1 << 20);

    /// <summary>The sentences of a window in the order its planned batches will embed them.</summary>
    private static IEnumerable<IReadOnlyList<string>> InPlanOrder(List<InputSentence> window, List<int[]> plan)
    {
        foreach (int[] rows in plan)
            foreach (int i in rows) yield return window[i].Tokens;
    }

    /// <summary>Returns <paramref name="value"/> and clears <paramref name="slot"/> (the sentence read ahead to check the input is not empty).</summary>
    private static InputSentence Take(ref InputSentence? slot, InputSentence value)
    {
        slot = null;
        return value;
    }

    /// <summary>
    /// The stateless embed in windows (<see cref="EmbeddingFileOptions.Regroup"/>): the datasets of each window of
    /// sentences from <paramref name="next"/> are declared in input order, their values' places in the file reserved
    /// (<see cref="EmbeddingFileWriter.ReserveDataset"/>); the window is then embedded in length-sorted internal batches
    /// (<see cref="SentenceWindow.Plan(IReadOnlyList{int}, int, int)"/>) and each sentence's values written into its place as soon as its batch is
    /// done. No window's values are kept in memory: the memory is one internal batch's (bench/README.md, "Memory").
    /// </summary>
    internal static EmbeddingFileProgress WriteRegrouped(ElmoModel model, EmbeddingFileWriter writer, Func<InputSentence?> next, EmbeddingFileOptions options,
                                                        IProgress<EmbeddingFileProgress>? progress, CancellationToken cancellation, Action? windowWritten = null)
    {
        int layerCount = model.LayerCount, dim = model.Dim;
        var average = options.Layers == EmbeddingLayers.Average ? ScalarMix.Average(layerCount) : null;
        int windowSentences = WindowSentences(options);
        int batchTokens = options.BatchTokens ?? SentenceWindow.BatchTokensFor(model.Options);
        int batchRows = options.BatchRows ?? SentenceWindow.BatchRowsFor(model.Options);
        var window = new List<InputSentence>(Math.Min(windowSentences, 4096));
        var lengths = new List<int>(window.Capacity);
        var addresses = new List<long>(window.Capacity);
        var batch = new List<IReadOnlyList<string>>();
        var output = new ElmoBatchOutput(); // one sentence's layers at a time, reused
        float[] mixed = []; // [n, D]: the average of the layers, grown as needed
        float[] pooled = options.Pooling is null ? [] : new float[layerCount * dim];
        long[] shape = new long[3];
        long written = 0, tokensDone = 0;
        int[]? plannedRows = null; // the window's sentences in the batch being embedded
        Action<int, ElmoBatchOutput>? writeSentence = null; // created once: writes sentence b of that batch into its place
        while (SentenceWindow.Fill(window, next, windowSentences, options.WindowTokens))
        {
            lengths.Clear();
            addresses.Clear();
            foreach (var s in window)
            {
                int rank = DatasetShape(s.Tokens.Length, layerCount, dim, options, shape);
                lengths.Add(s.Tokens.Length);
                addresses.Add(writer.ReserveDataset(s.Text.Span, shape.AsSpan(0, rank)));
            }
            // Room for the window's longest sentence, one sentence's layers (and their average) at a time.
            int longest = lengths.Max();
            output.Reserve((long)layerCount * longest * dim);
            if (average is not null && mixed.Length < longest * dim) mixed = new float[Math.Max(longest * dim, 2 * mixed.Length)];
            var plan = SentenceWindow.Plan(lengths, batchTokens, batchRows);
            model.EncodeTokensAhead(InPlanOrder(window, plan));
            foreach (int[] rows in plan)
            {
                cancellation.ThrowIfCancellationRequested();
                plannedRows = rows;
                batch.Clear();
                foreach (int i in rows) batch.Add(window[i].Tokens);
                model.EmbedEach(batch, output, writeSentence ??= (b, sentence) =>
                {
                    int n = sentence.Lengths[0];
                    if (average is not null) average.Mix(sentence, mixed.AsSpan(0, n * dim)); // room reserved for the window's longest
                    var averaged = average is null ? default : mixed.AsSpan(0, n * dim);
                    WriteDatasetAt(writer, addresses[plannedRows![b]], sentence, 0, options, averaged, pooled);
                });
            }
            window.Clear(); // its sentences' text and tokens may now be reused by next
            windowWritten?.Invoke();
            for (int i = 0; i < lengths.Count; i++)
            {
                written++;
                tokensDone += lengths[i];
                if (written % options.BatchSize == 0)
                {
                    progress?.Report(new EmbeddingFileProgress(written, tokensDone));
                    cancellation.ThrowIfCancellationRequested();
                }
            }
        }
        if (written % options.BatchSize != 0) progress?.Report(new EmbeddingFileProgress(written, tokensDone));
        return new EmbeddingFileProgress(written, tokensDone);
    }

    /// <summary>Writes the shape of a sentence's dataset into <paramref name="shape"/>; returns its rank.</summary>
    private static int DatasetShape(int n, int layerCount, int dim, EmbeddingFileOptions options, Span<long> shape)
    {
        int rank = 0;
        if (options.Layers == EmbeddingLayers.All) shape[rank++] = layerCount;
        if (options.Pooling is null) shape[rank++] = n;
        shape[rank++] = dim;
        return rank;
    }

    /// <summary>
    /// The values of the dataset of sentence <paramref name="b"/> of the batch (as <see cref="WriteSentence"/> writes
    /// them) at <paramref name="address"/>, the place <see cref="EmbeddingFileWriter.ReserveDataset"/> left for them.
    /// </summary>
    private static void WriteDatasetAt(EmbeddingFileWriter writer, long address, ElmoBatchOutput output, int b, EmbeddingFileOptions options,
                                       ReadOnlySpan<float> mixed, float[] pooled)
    {
        int n = output.Lengths[b], dim = output.Dim, layerCount = output.LayerCount;
        switch (options.Layers, options.Pooling)
        {
            case (EmbeddingLayers.All, { } pooling):
                for (int l = 0; l < layerCount; l++) SentencePooling.Pool(output.Layer(b, l), dim, pooling, pooled.AsSpan(l * dim, dim));
                writer.WriteValuesAt(address, pooled.AsSpan(0, layerCount * dim));
                break;
            case (EmbeddingLayers.Top, { } pooling):
                SentencePooling.Pool(output.Layer(b, layerCount - 1), dim, pooling, pooled);
                writer.WriteValuesAt(address, pooled.AsSpan(0, dim));
                break;
            case (_, { } pooling):
                SentencePooling.Pool(mixed, dim, pooling, pooled);
                writer.WriteValuesAt(address, pooled.AsSpan(0, dim));
                break;
            case (EmbeddingLayers.All, null):
                for (int l = 0; l < layerCount; l++) writer.WriteValuesAt(address + (long)l * n * dim * sizeof(float), output.Layer(b, l));
                break;
            case (EmbeddingLayers.Top, null):
                writer.WriteValuesAt(address, output.Layer(b, layerCount - 1));
                break;
            default:
                writer.WriteValuesAt(address, mixed);
                break;
        }
    }

    /// <summary>As <see cref="Write(ElmoModel, Utf8LineReader, string, EmbeddingFileOptions?, IProgress{EmbeddingFileProgress}?, CancellationToken)"/>, reading the UTF-8 file <paramref name="inputPath"/>.</summary>
    public static EmbeddingFileProgress Write(ElmoModel model, string inputPath, string outputPath, EmbeddingFileOptions? options = null,
                                              IProgress<EmbeddingFileProgress>? progress = null, CancellationToken cancellation = default)
    {
        using var lines = new Utf8LineReader(inputPath, "input file");
        return Write(model, lines, outputPath, options, progress, cancellation);
    }

    /// <summary>
    /// As <see cref="Write(ElmoModel, Utf8LineReader, string, EmbeddingFileOptions?, IProgress{EmbeddingFileProgress}?, CancellationToken)"/>,
    /// reading already-decoded text (errors name it <paramref name="inputName"/>); the reader is not disposed.
    /// </summary>
    public static EmbeddingFileProgress Write(ElmoModel model, TextReader input, string outputPath, EmbeddingFileOptions? options = null,
                                              IProgress<EmbeddingFileProgress>? progress = null, string inputName = "<text>",
                                              CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var lines = new Utf8LineReader(new TextReaderStream(input, inputName), inputName);
        return Write(model, lines, outputPath, options, progress, cancellation);
    }

    /// <summary>
    /// <see cref="Write(ElmoModel, string, string, EmbeddingFileOptions?, IProgress{EmbeddingFileProgress}?, CancellationToken)"/>
    /// on a thread-pool thread (the work is CPU-bound; the model must not be used meanwhile).
    /// </summary>
    public static Task<EmbeddingFileProgress> WriteAsync(ElmoModel model, string inputPath, string outputPath, EmbeddingFileOptions? options = null,
                                                         IProgress<EmbeddingFileProgress>? progress = null, CancellationToken cancellation = default) =>
        Task.Run(() => Write(model, inputPath, outputPath, options, progress, cancellation), cancellation);

    /// <summary>Writes sentence <paramref name="b"/> of the batch: its layers as chosen, pooled over tokens or not.</summary>
    private static void WriteSentence(EmbeddingFileWriter writer, ReadOnlySpan<char> text, ElmoBatchOutput output, int b, EmbeddingFileOptions options, ReadOnlySpan<float> mixed, float[] pooled)
    {
        int n = output.Lengths[b], dim = output.Dim, layerCount = output.LayerCount;
        if (options.Pooling is { } pooling)
        {
            switch (options.Layers)
            {
                case EmbeddingLayers.All:
                    for (int l = 0; l < layerCount; l++) SentencePooling.Pool(output.Layer(b, l), dim, pooling, pooled.AsSpan(l * dim, dim));
                    writer.AddDataset(text, [layerCount, dim], pooled.AsSpan(0, layerCount * dim));
                    break;
                case EmbeddingLayers.Top:
                    SentencePooling.Pool(output.Layer(b, layerCount - 1), dim, pooling, pooled);
                    writer.AddDataset(text, [dim], pooled.AsSpan(0, dim));
                    break;
                default:
                    SentencePooling.Pool(mixed, dim, pooling, pooled);
                    writer.AddDataset(text, [dim], pooled.AsSpan(0, dim));
                    break;
            }
            return;
        }
        switch (options.Layers)
        {
            case EmbeddingLayers.All:
                writer.BeginDataset(text, [layerCount, n, dim]);
                for (int l = 0; l < layerCount; l++) writer.WriteValues(output.Layer(b, l));
                break;
            case EmbeddingLayers.Top:
                writer.AddDataset(text, [n, dim], output.Layer(b, layerCount - 1));
                break;
            default:
                writer.AddDataset(text, [n, dim], mixed);
                break;
        }
    }

    /// <summary>
    /// The sentences of the input, as AllenNLP reads them: <c>line.strip()</c>, then <c>.split()</c>; an empty line is an
    /// error naming its line and 0-based index. With sentence keys, a repeated sentence and one HDF5 cannot take as a
    /// name are errors too.
    /// </summary>
    private sealed class SentenceReader(Utf8LineReader lines, bool sentenceKeys, int maxTokens)
    {
        private readonly Dictionary<string, long>? seen = sentenceKeys ? new(StringComparer.Ordinal) : null;
        private readonly TokenStringPool tokenStrings = new(); // a long input allocates its frequent tokens once
        private readonly SentenceArena arena = new(); // the text and token arrays of the sentences not yet written

        /// <summary>
        /// The next sentence (its stripped text and tokens), or null at the end. Its text and token array are valid until
        /// <see cref="Recycle"/>.
        /// </summary>
        public InputSentence? Next()
        {
            if (!lines.TryReadChars(out var line)) return null;
            long number = lines.LineNumber;
            if (line.Length == 0) throw Error(number, "empty line");
            var text = PythonText.Strip(line);
            if (text.Length == 0) throw Error(number, "line has only whitespace");
            if (seen is not null)
            {
                // The messages name the command line's flag too, which EmbeddingFileLayout.SentenceKeys stands for.
                if (!EmbeddingFileWriter.IsValidKey(text))
                    throw Error(number, "the sentence cannot name an HDF5 dataset ('/' or NUL in it, or '.' alone)", "; drop --use-sentence-keys");
                string key = text.ToString();
                if (seen.TryGetValue(key, out long first))
                    throw Error(number, $"the same sentence as line {first}", "; --use-sentence-keys needs distinct sentences (drop it to encode duplicates)");
                seen.Add(key, number);
            }
            int count = PythonText.CountTokens(text);
            if (count > maxTokens)
                throw Error(number, string.Create(CultureInfo.InvariantCulture,
                    $"{count:N0} tokens, more than the most a sentence may have ({maxTokens:N0}; --max-sentence-tokens)"));
            var tokens = arena.TokenArray(count);
            PythonText.SplitInto(text, tokens, tokenStrings);
            return new InputSentence(arena.Keep(text), tokens);
        }

        /// <summary>Every sentence read so far has been written: their text and token arrays may be reused.</summary>
        public void Recycle() => arena.Recycle();

        /// <summary>"input:line: what (index i)hint": the error of 1-based line <paramref name="number"/> (made only when there is one).</summary>
        private InvalidDataException Error(long number, string what, string hint = "") =>
            new(string.Create(CultureInfo.InvariantCulture, $"{lines.Path}:{number}: {what} (index {number - 1}){hint}"));
    }
}
