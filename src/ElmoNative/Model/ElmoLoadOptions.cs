using Microsoft.Extensions.Logging;

namespace ElmoNative;

/// <summary>
/// How a model is loaded and run (not its architecture, which is <see cref="ElmoOptions"/>): the logger that hears
/// about the load, the threads the model's kernels may use and the size of its token cache (docs/dotnet-ai.md).
/// </summary>
public sealed class ElmoLoadOptions
{
    /// <summary>
    /// Receives one Information message per load (weights file, parameters, layers, seconds). The model logs nothing
    /// while embedding. Null: no logging.
    /// </summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// The model's <see cref="ElmoModel.Threads"/> (also used while packing the weights at load). Null: every core.
    /// </summary>
    public int? Threads { get; set; }

    /// <summary>The model's <see cref="ElmoModel.TokenCacheCapacity"/>. Null: as many tokens as fit in about <see cref="ElmoModel.DefaultTokenCacheBytes"/> or its share (7,000 for <c>original</c>).</summary>
    public int? TokenCacheCapacity { get; set; }
}
