using ElmoNative.Hub;

namespace ElmoNative.Cli;

/// <summary>
/// Shows a model download on stderr: one <see cref="ProgressBar"/> per file (in MB, with rate and ETA), under the rules
/// of every progress display (a terminal: a bar; <c>--progress</c>: log lines; <c>--no-progress</c>: nothing). Also
/// counts the bytes received. A file found complete in the cache gets no bar.
/// </summary>
internal sealed class DownloadDisplay(TextWriter writer, ProgressMode mode) : IProgress<DownloadProgress>, IDisposable
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, (long First, long Last)> files = [];
    private ProgressBar? bar;
    private string? current;

    /// <summary>Bytes received in this run, over all files (a resumed file counts from where it resumed).</summary>
    public long BytesReceived
    {
        get
        {
            lock (gate) return files.Values.Sum(f => f.Last - f.First);
        }
    }

    /// <summary>Records a report of the downloader and redraws the bar of its file.</summary>
    public void Report(DownloadProgress value)
    {
        lock (gate)
        {
            if (value.FileName != current)
            {
                bar?.Finish();
                bar = null;
                current = value.FileName;
                files[value.FileName] = (value.BytesDone, value.BytesDone);
                if (value.BytesTotal == value.BytesDone && value.BytesDone > 0) return; // complete already: nothing to show
                bar = new ProgressBar(writer, mode, "download " + value.FileName, value.BytesTotal ?? -1, "bytes") { Bytes = true };
            }
            files[value.FileName] = (files[value.FileName].First, value.BytesDone);
            if (bar is null) return;
            if (value.BytesTotal is long total) bar.Total = total;
            bar.Update(value.BytesDone);
        }
    }

    /// <summary>Draws the last bar's final state.</summary>
    public void Finish()
    {
        lock (gate) bar?.Finish();
    }

    /// <summary>Erases an unfinished bar (an error follows).</summary>
    public void Dispose()
    {
        lock (gate) bar?.Dispose();
    }
}
