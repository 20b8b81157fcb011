using System.Diagnostics;
using System.Globalization;

namespace ElmoNative.Cli;

/// <summary>How progress is shown.</summary>
internal enum ProgressMode
{
    /// <summary>Not at all.</summary>
    Off,
    /// <summary>A bar redrawn in place (stderr is a terminal).</summary>
    Terminal,
    /// <summary>Plain lines, at most one every <see cref="ProgressBar.LogInterval"/> (forced while redirected).</summary>
    Log,
}

/// <summary>
/// Progress of a long command on stderr: items done of a total (or of an unknown total, shown as ?), with rates. On a
/// terminal a bar redrawn in place at most every 0.2 s; in a log one plain line every 10 s at most, and one at the end.
/// </summary>
internal sealed class ProgressBar : IDisposable
{
    /// <summary>Least time between two redraws on a terminal.</summary>
    public static readonly TimeSpan TerminalInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>Least time between two lines in a log.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private const int BarWidth = 24;
    private readonly TextWriter writer;
    private readonly string label, unit;
    private readonly string? secondaryUnit;
    private readonly Func<TimeSpan> clock;
    private TimeSpan lastDraw = TimeSpan.MinValue;
    private long done, secondary;
    private int drawnWidth;
    private bool finished;

    /// <summary>
    /// A progress display for <paramref name="total"/> items of <paramref name="unit"/> (negative: not known yet) and an
    /// optional second count.
    /// </summary>
    public ProgressBar(TextWriter writer, ProgressMode mode, string label, long total, string unit, string? secondaryUnit = null, Func<TimeSpan>? clock = null)
    {
        this.writer = writer;
        Mode = mode;
        this.label = label;
        Total = total;
        this.unit = unit;
        this.secondaryUnit = secondaryUnit;
        if (clock is null)
        {
            var watch = Stopwatch.StartNew();
            clock = () => watch.Elapsed;
        }
        this.clock = clock;
        lastDraw = clock(); // the first line of a log comes after one interval
        if (mode == ProgressMode.Terminal) lastDraw -= TerminalInterval;
    }

    /// <summary>Items in all; negative while unknown (for example input streamed from stdin).</summary>
    public long Total { get; set; }

    /// <summary>The display mode.</summary>
    public ProgressMode Mode { get; }

    /// <summary>The items are bytes: counts and rate are shown in kB, MB or GB, whatever the unit given.</summary>
    public bool Bytes { get; init; }

    /// <summary>Extra figures shown at the end of the display (for example a loss), or null.</summary>
    public string? Detail { get; set; }

    /// <summary>Records the counts so far (cumulative) and redraws if it is time.</summary>
    public void Update(long itemsDone, long secondaryDone = 0)
    {
        done = itemsDone;
        secondary = secondaryDone;
        if (Mode == ProgressMode.Off) return;
        var now = clock();
        if (now - lastDraw < (Mode == ProgressMode.Terminal ? TerminalInterval : LogInterval)) return;
        lastDraw = now;
        Draw(now);
    }

    /// <summary>Draws the final state (a terminal bar ends with a newline).</summary>
    public void Finish()
    {
        if (finished) return;
        finished = true;
        if (Mode == ProgressMode.Off) return;
        Draw(clock());
        if (Mode == ProgressMode.Terminal) writer.WriteLine();
        writer.Flush();
    }

    /// <summary>Erases an unfinished terminal bar, so that an error message starts on a clean line.</summary>
    public void Dispose()
    {
        if (finished || Mode != ProgressMode.Terminal || drawnWidth == 0) return;
        writer.Write("\r" + new string(' ', drawnWidth) + "\r");
        writer.Flush();
        finished = true;
    }

    /// <summary>The text of the display at <paramref name="elapsed"/>.</summary>
    internal string Render(TimeSpan elapsed)
    {
        var c = CultureInfo.InvariantCulture;
        double seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        long total = Total;
        double fraction = total > 0 ? Math.Clamp((double)done / total, 0, 1) : 1;
        string rates = Bytes
            ? FormatBytes(done / seconds, done / seconds) + "/s"
            : string.Format(c, "{0:F1} {1}/s", done / seconds, unit);
        if (secondaryUnit is not null) rates += string.Format(c, ", {0:F0} {1}/s", secondary / seconds, secondaryUnit);
        if (Detail is not null) rates += ", " + Detail;
        string eta = done > 0 && done < total ? " ETA " + FormatTime(TimeSpan.FromSeconds(seconds * (total - done) / done)) : "";
        if (Bytes)
        {
            // Sizes in the unit of the total (kB, MB, GB): "12.3/374.0 MB".
            long reference = Math.Max(total, done);
            string sizes = total < 0 ? FormatBytes(done, done) + "/?" : FormatBytes(done, reference, withUnit: false) + "/" + FormatBytes(total, reference);
            if (total < 0 || Mode == ProgressMode.Log)
                return string.Format(c, "{0}: {1}{2}, {3}, {4:F0} s{5}", label, sizes, total < 0 ? "" : string.Format(c, " ({0:F0}%)", fraction * 100), rates, seconds, eta.Length > 0 ? "," + eta : "");
            int filledBytes = (int)Math.Round(fraction * BarWidth);
            return string.Format(c, "{0} [{1}{2}] {3,3:F0}% {4}, {5}{6}", label, new string('#', filledBytes), new string('-', BarWidth - filledBytes), fraction * 100, sizes, rates, eta);
        }
        if (total < 0)
            return string.Format(c, "{0}: {1}/? {2}, {3}, {4:F0} s", label, done, unit, rates, seconds);
        if (Mode == ProgressMode.Log)
            return string.Format(c, "{0}: {1}/{2} {3} ({4:F0}%), {5}, {6:F0} s{7}", label, done, total, unit, fraction * 100, rates, seconds, eta.Length > 0 ? "," + eta : "");
        int filled = (int)Math.Round(fraction * BarWidth);
        return string.Format(c, "{0} [{1}{2}] {3,3:F0}% {4}/{5} {6}, {7}{8}", label, new string('#', filled), new string('-', BarWidth - filled), fraction * 100, done, total, unit, rates, eta);
    }

    /// <summary>
    /// <paramref name="bytes"/> with one decimal in the unit (kB, MB, GB: powers of 1000) that suits <paramref name="reference"/>.
    /// </summary>
    internal static string FormatBytes(double bytes, double reference, bool withUnit = true)
    {
        var (divisor, name) = reference switch
        {
            >= 1e9 => (1e9, "GB"),
            >= 1e6 => (1e6, "MB"),
            _ => (1e3, "kB"),
        };
        string number = (bytes / divisor).ToString("F1", CultureInfo.InvariantCulture);
        return withUnit ? number + " " + name : number;
    }

    private void Draw(TimeSpan now)
    {
        string text = Render(now);
        if (Mode == ProgressMode.Log)
        {
            writer.WriteLine(text);
        }
        else
        {
            writer.Write("\r" + text + (text.Length < drawnWidth ? new string(' ', drawnWidth - text.Length) : ""));
            drawnWidth = Math.Max(drawnWidth, text.Length);
        }
        writer.Flush();
    }

    private static string FormatTime(TimeSpan t) =>
        t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t.Minutes:D2}:{t.Seconds:D2}" : $"{t.Minutes}:{t.Seconds:D2}";
}
