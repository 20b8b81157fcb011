using System.Collections.Concurrent;
using ElmoNative.Checkpoints;
using ElmoNative.Kernels;
using ElmoNative.Layers;

namespace ElmoNative;

/// <summary>
/// A loaded ELMo biLM (Peters et al. 2018): load once, then embed batches of tokenized sentences.
/// <para>
/// Thread safety: <see cref="Embed(IReadOnlyList{IReadOnlyList{string}}, ElmoState?)"/> and
/// <see cref="EmbedTokens(IReadOnlyList{string})"/> may be called from several threads at once; each call uses its
/// own scratch memory and the weights are read-only. In stateless mode (no <see cref="ElmoState"/>) a sentence's
/// vectors depend only on the sentence. A given <see cref="ElmoState"/> serializes the calls that use it.
/// </para>
/// Dispose releases the scratch memory and the packed weights; the model cannot be used afterwards.
/// </summary>
public sealed partial class ElmoModel : IDisposable
{
    private readonly BiLm bilm;
    private readonly ConcurrentBag<BiLmWorkspace> workspaces = new();
    private int disposed, released, activeCalls;

    private ElmoModel(ElmoOptions options, WeightSource weights, long parameterCount)
    {
        Options = options;
        ParameterCount = parameterCount;
        bilm = new BiLm(options, weights);
    }

    /// <summary>The architecture.</summary>
    public ElmoOptions Options { get; }

    /// <summary>Number of parameters in the checkpoint (extra datasets not counted).</summary>
    public long ParameterCount { get; }

    /// <summary>L + 1: the token layer plus one per LSTM layer.</summary>
    public int LayerCount => Options.LstmLayers + 1;

    /// <summary>D = 2P: width of every output layer.</summary>
    public int Dim => Options.OutputDim;

    /// <summary>Loads a model from an in-memory checkpoint (the weights are copied into the model's own layout).</summary>
    public static ElmoModel FromCheckpoint(Checkpoint checkpoint) => FromCheckpoint(checkpoint, null);

    /// <summary>
    /// As <see cref="FromCheckpoint(Checkpoint)"/>, with <paramref name="loadOptions"/> (logger, threads, token cache).
    /// </summary>
    public static ElmoModel FromCheckpoint(Checkpoint checkpoint, ElmoLoadOptions? loadOptions)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return Create(checkpoint.Options, () => WeightSource.FromCheckpoint(checkpoint), checkpoint.ParameterCount, "(in-memory checkpoint)", loadOptions);
    }

    /// <summary>Loads <c>options.json</c> and the HDF5 weights of a bilm-tf / AllenNLP checkpoint.</summary>
    /// <remarks>
    /// The file is checked as a whole first; weights are then read one at a time, the large matrices in blocks of a few
    /// megabytes packed as they arrive (see <see cref="WeightSource"/>), so that the peak memory stays near the model's size.
    /// Loading forces no garbage collection: what it leaves behind is collected when the runtime sees fit.
    /// </remarks>
    public static ElmoModel Load(string optionsPath, string weightsPath) => Load(optionsPath, weightsPath, null);

    /// <summary>
    /// As <see cref="Load(string, string)"/>, with <paramref name="loadOptions"/> (logger, threads, token cache).
    /// </summary>
    public static ElmoModel Load(string optionsPath, string weightsPath, ElmoLoadOptions? loadOptions)
    {
        var options = ElmoOptions.Load(optionsPath);
        using var reader = new CheckpointReader(options, weightsPath);
        return Create(options, () => WeightSource.FromReader(reader), Checkpoint.CountParameters(options), weightsPath, loadOptions);
    }

    /// <summary>Loads a model directory holding <c>options.json</c> and <c>weights.hdf5</c>.</summary>
    public static ElmoModel LoadDirectory(string directory) => LoadDirectory(directory, null);

    /// <summary>As <see cref="LoadDirectory(string)"/>, with <paramref name="loadOptions"/> (logger, threads, token cache).</summary>
    public static ElmoModel LoadDirectory(string directory, ElmoLoadOptions? loadOptions)
    {
        var (options, weights) = ModelFiles.Resolve(directory);
        return Load(options, weights, loadOptions);
    }

    /// <summary>Builds the model under the load options' thread count (packing the weights uses the GEMM threads) and logs the load.</summary>
    private static ElmoModel Create(ElmoOptions options, Func<WeightSource> weights, long parameters, string source, ElmoLoadOptions? loadOptions)
    {
        int threads = loadOptions?.Threads ?? Environment.ProcessorCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1, "ElmoLoadOptions.Threads");
        if (loadOptions?.TokenCacheCapacity is < 0)
            throw new ArgumentOutOfRangeException(nameof(loadOptions), loadOptions.TokenCacheCapacity, "ElmoLoadOptions.TokenCacheCapacity cannot be negative");
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        ElmoModel model;
        using (KernelSettings.LimitCurrentThread(Math.Min(threads, KernelSettings.ThreadsForCurrentThread)))
        using (var weightSource = weights())
            model = new ElmoModel(options, weightSource, parameters) { Threads = threads };
        if (loadOptions?.TokenCacheCapacity is { } capacity) model.TokenCacheCapacity = capacity;
        double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
        if (loadOptions?.Logger is { } logger) ElmoModelLog.Loaded(logger, source, parameters, model.LayerCount, model.Dim, threads, seconds);
        return model;
    }

    /// <summary>
    /// Most threads the kernels may use for one call of this model (<see cref="Embed(IReadOnlyList{IReadOnlyList{string}}, ElmoState?)"/>,
    /// <see cref="EmbedTokens(IReadOnlyList{string})"/>, <see cref="PreloadVocabulary"/>), on the calling thread and the
    /// helpers it hands work to (the two LSTM directions, split GEMMs). Default: every core. Models in one process may
    /// use different counts; the process-wide <c>KernelSettings.MaxThreads</c> and a limit already in force on the
    /// calling thread still cap it. The result does not depend on the count (bit for bit).
    /// </summary>
    public int Threads
    {
        get => threads;
        set => threads = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "Threads must be at least 1");
    }

    private int threads = Environment.ProcessorCount;

    /// <summary>The thread limit of one call of this model, on the calling thread (see <see cref="Threads"/>).</summary>
    private KernelSettings.ThreadLimitScope LimitThreads() =>
        KernelSettings.LimitCurrentThread(Math.Min(threads, KernelSettings.ThreadsForCurrentThread));

    /// <summary>A fresh stateful-mode state (all zeros) for <see cref="Embed(IReadOnlyList{IReadOnlyList{string}}, ElmoState?)"/>.</summary>
    public ElmoState CreateState() => new(Options.LstmLayers, Options.ProjectionDim, Options.LstmDim);

    /// <summary>
    /// Embeds a batch of tokenized sentences: all layers, boundaries removed. Without <paramref name="state"/> every sentence
    /// starts from zero state (stateless); with one, row r continues from row r of the previous batch (stateful, docs/model.md section 5).
    /// </summary>
    public ElmoBatchOutput Embed(IReadOnlyList<IReadOnlyList<string>> sentences, ElmoState? state = null)
    {
        Validate(sentences);
        var output = new ElmoBatchOutput(sentences, LayerCount, Dim);
        Run(sentences, state, output);
        return output;
    }

    /// <summary>
    /// As <see cref="Embed(IReadOnlyList{IReadOnlyList{string}}, ElmoState?)"/>, into <paramref name="output"/>, whose arrays
    /// are reused from call to call (so that steady-state embedding allocates nothing). Make it with
    /// <c>new ElmoBatchOutput()</c>; its previous contents are overwritten.
    /// </summary>
    public void Embed(IReadOnlyList<IReadOnlyList<string>> sentences, ElmoBatchOutput output, ElmoState? state = null)
    {
        Validate(sentences);
        ArgumentNullException.ThrowIfNull(output);
        output.Reset(sentences, LayerCount, Dim, exact: false);
        Run(sentences, state, output);
    }

    /// <summary>
    /// Embeds a batch (stateless) and hands each sentence to <paramref name="each"/> (its index in
    /// <paramref name="sentences"/> and a one-row output holding its layers, reused from sentence to sentence), in no
    /// particular order: the values of <see cref="Embed(IReadOnlyList{IReadOnlyList{string}}, ElmoState?)"/>, bit for
    /// bit, without a [B, L + 1, T, D] output for the whole batch (what an embedding file needs; bench/README.md, "Memory").
    /// </summary>
    internal void EmbedEach(IReadOnlyList<IReadOnlyList<string>> sentences, ElmoBatchOutput sentenceOutput, Action<int, ElmoBatchOutput> each)
    {
        Validate(sentences);
        ArgumentNullException.ThrowIfNull(sentenceOutput);
        ArgumentNullException.ThrowIfNull(each);
        var ws = Rent();
        using var limit = LimitThreads();
        try
        {
            bilm.ForwardEach(sentences, ws, sentenceOutput, each);
        }
        finally
        {
            Return(ws);
        }
    }

    /// <summary>
    /// Encodes the tokens of <paramref name="sentences"/> the token cache lacks, on all threads, for a caller about to
    /// embed them in several batches (docs/architecture.md, "Encoding ahead"); changes no value, only when the encoder runs.
    /// </summary>
    internal void EncodeTokensAhead(IEnumerable<IReadOnlyList<string>> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        var ws = Rent();
        using var limit = LimitThreads();
        try
        {
            bilm.Tokens.EncodeAhead(sentences, ws);
        }
        finally
        {
            Return(ws);
        }
    }

    private static void Validate(IReadOnlyList<IReadOnlyList<string>> sentences)
    {
        ArgumentNullException.ThrowIfNull(sentences);
        for (int i = 0; i < sentences.Count; i++)
        {
            if (sentences[i] is null) throw new ArgumentException($"sentence {i} is null", nameof(sentences));
            for (int k = 0; k < sentences[i].Count; k++)
                if (string.IsNullOrEmpty(sentences[i][k])) throw new ArgumentException($"sentence {i}, token {k} is empty", nameof(sentences));
        }
    }

    private void Run(IReadOnlyList<IReadOnlyList<string>> sentences, ElmoState? state, ElmoBatchOutput output)
    {
        var ws = Rent();
        using var limit = LimitThreads();
        try
        {
            if (state is null)
            {
                bilm.Forward(sentences, null, ws, output);
            }
            else
            {
                lock (state) bilm.Forward(sentences, state, ws, output);
            }
        }
        finally
        {
            Return(ws);
        }
    }

    /// <summary>Embeds one sentence (stateless): [L + 1, n, D] in <see cref="ElmoBatchOutput"/> form with one row.</summary>
    public ElmoBatchOutput Embed(IReadOnlyList<string> sentence) => Embed([sentence]);

    /// <summary>Context-independent token representations (layer 0 without the duplication): [N, P].</summary>
    public float[] EmbedTokens(IReadOnlyList<string> tokens)
    {
        var result = new float[tokens.Count * Options.ProjectionDim];
        EmbedTokens(tokens, result);
        return result;
    }

    /// <summary>Context-independent token representations into <paramref name="output"/> [N, P].</summary>
    public void EmbedTokens(IReadOnlyList<string> tokens, Span<float> output)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        if (output.Length < tokens.Count * Options.ProjectionDim) throw new ArgumentException("output is too small", nameof(output));
        var ws = Rent();
        using var limit = LimitThreads();
        try
        {
            bilm.Tokens.EncodeTokens(tokens, output, ws);
        }
        finally
        {
            Return(ws);
        }
    }

    /// <summary>Default of <see cref="TokenCacheCapacity"/> for <c>original</c>; see <see cref="DefaultTokenCacheBytes"/>.</summary>
    public const int DefaultTokenCacheCapacity = BiLm.DefaultCacheCapacity;

    /// <summary>
    /// About the bytes the token cache holds by default: the default <see cref="TokenCacheCapacity"/> is this over the
    /// size of one entry, in whole thousands, for a model whose cache misses cost at least a third of a token's LSTM
    /// work (18,000 tokens for <c>medium</c>, 29,000 for <c>small</c>), and a share of it for a model whose encoder is
    /// cheaper next to its LSTM (7,000 tokens, 17 MB, for <c>original</c>; docs/architecture.md, "Token cache").
    /// </summary>
    public const long DefaultTokenCacheBytes = BiLm.DefaultCacheBytes;

    /// <summary>
    /// Most tokens the cache of token representations keeps (least recently used ones are evicted first; by default
    /// as many as fit in about <see cref="DefaultTokenCacheBytes"/> or its share, 7,000 for <c>original</c>; 0 turns the cache off). The cache is keyed by the token's character ids and
    /// gives exactly the vectors the character CNN would; a preloaded vocabulary is kept in addition.
    /// </summary>
    public int TokenCacheCapacity
    {
        get => bilm.Tokens.Cache.Capacity;
        set => bilm.Tokens.Cache.Capacity = value;
    }

    /// <summary>Hits, misses and size of the token cache since load (or the last <see cref="ClearTokenCache"/>).</summary>
    public TokenCacheStatistics TokenCacheStatistics => bilm.Tokens.Cache.Statistics;

    /// <summary>
    /// Computes the representations of <paramref name="vocabulary"/> now and keeps them for good, like the vocabulary
    /// file of bilm-tf / AllenNLP (tokens outside it still go through the character CNN and the LRU cache).
    /// </summary>
    public void PreloadVocabulary(IEnumerable<string> vocabulary)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        var ws = Rent();
        using var limit = LimitThreads();
        try
        {
            bilm.Tokens.Preload(vocabulary.Select((t, i) => string.IsNullOrEmpty(t) ? throw new ArgumentException($"vocabulary token {i} is empty", nameof(vocabulary)) : t), ws);
        }
        finally
        {
            Return(ws);
        }
    }

    /// <summary>Empties the token cache (preloaded vocabulary included) and resets its counters.</summary>
    public void ClearTokenCache() => bilm.Tokens.Cache.Clear();

    /// <summary>The biLM (for tests and benchmarks).</summary>
    internal BiLm BiLm => bilm;

    /// <summary>A workspace for one call; the call counts as active (the model's memory stays) until <see cref="Return"/>.</summary>
    private BiLmWorkspace Rent()
    {
        Interlocked.Increment(ref activeCalls);
        if (Volatile.Read(ref disposed) != 0)
        {
            Leave();
            throw new ObjectDisposedException(nameof(ElmoModel));
        }
        return workspaces.TryTake(out var ws) ? ws : new BiLmWorkspace();
    }

    private void Return(BiLmWorkspace ws)
    {
        workspaces.Add(ws);
        Leave();
    }

    /// <summary>Ends a call; the last call to end after <see cref="Dispose"/> frees the memory.</summary>
    private void Leave()
    {
        if (Interlocked.Decrement(ref activeCalls) == 0 && Volatile.Read(ref disposed) != 0) Release();
    }

    /// <summary>
    /// Frees the scratch memory and the packed weights (both native memory); the model cannot be used afterwards.
    /// Calls still running finish first: the memory is freed when the last of them returns.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        if (Volatile.Read(ref activeCalls) == 0) Release();
    }

    private void Release()
    {
        if (Interlocked.Exchange(ref released, 1) != 0) return;
        while (workspaces.TryTake(out var ws)) ws.Dispose();
        bilm.Dispose();
    }
}
