using System.Diagnostics.Tracing;
using System.Globalization;

namespace ElmoNative.Bench;

/// <summary>
/// Samples the runtime's allocation ticks in-process (the GCAllocationTick event, one about every 100 KB a thread
/// allocates, naming the type of the object that crossed the mark) and sums them by type: where a steady stream of
/// managed allocations comes from, without an external tracer.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Dictionary<string, long> bytesByType = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private volatile bool recording;

    /// <summary>Starts or pauses the sums (ticks before the first start are dropped: the load is not the steady state).</summary>
    public bool Recording { get => recording; set => recording = value; }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!recording || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
        int typeIndex = e.PayloadNames!.IndexOf("TypeName"), amountIndex = e.PayloadNames.IndexOf("AllocationAmount64");
        if (typeIndex < 0) return;
        string type = e.Payload[typeIndex] as string ?? "?";
        long amount = amountIndex >= 0 ? Convert.ToInt64(e.Payload[amountIndex], CultureInfo.InvariantCulture) : 100_000;
        lock (gate) bytesByType[type] = bytesByType.GetValueOrDefault(type) + amount;
    }

    /// <summary>The sampled bytes by type, largest first.</summary>
    public void Print(TextWriter to, int top = 15)
    {
        lock (gate)
        {
            long total = bytesByType.Values.Sum();
            to.WriteLine(string.Create(CultureInfo.InvariantCulture, $"allocation ticks while running: {total / 1e6:F1} MB sampled, by type:"));
            foreach (var (type, bytes) in bytesByType.OrderByDescending(p => p.Value).Take(top))
                to.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {bytes / 1e6,7:F1} MB  {type}"));
        }
    }
}
