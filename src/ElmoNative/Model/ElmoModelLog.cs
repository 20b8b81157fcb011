using Microsoft.Extensions.Logging;

namespace ElmoNative;

/// <summary>The messages the model logs (only at load: nothing is logged on the embedding path).</summary>
internal static partial class ElmoModelLog
{
    [LoggerMessage(EventId = 1, EventName = "ModelLoaded", Level = LogLevel.Information,
        Message = "Loaded ELMo model {Source}: {Parameters} parameters, {Layers} layers of dimension {Dim}, {Threads} threads, in {Seconds:F2} s")]
    public static partial void Loaded(ILogger logger, string source, long parameters, int layers, int dim, int threads, double seconds);
}
