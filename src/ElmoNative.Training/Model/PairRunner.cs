using System.Runtime.ExceptionServices;

namespace ElmoNative.Training;

/// <summary>
/// Runs a piece of work for index 0 on the calling thread and for index 1 on one long-lived worker thread at the same
/// time, and waits for both: the two directions of the biLM are independent until their gradients meet, so each gets
/// a core. The worker is created once and woken per call, so a call allocates nothing.
/// </summary>
internal sealed class PairRunner : IDisposable
{
    private readonly Thread worker;
    private readonly SemaphoreSlim start = new(0), done = new(0);
    private Action<int>? work;
    private Exception? workerError;
    private volatile bool stopping;

    public PairRunner()
    {
        worker = new Thread(Loop) { IsBackground = true, Name = "ElmoNative training (direction 1)" };
        worker.Start();
    }

    /// <summary>Runs action(0) here and action(1) on the worker; rethrows the first exception of either.</summary>
    public void Run(Action<int> action)
    {
        ObjectDisposedException.ThrowIf(stopping, this);
        work = action;
        workerError = null;
        start.Release();
        try
        {
            action(0);
        }
        finally
        {
            done.Wait();
        }
        if (workerError is not null) ExceptionDispatchInfo.Throw(workerError);
    }

    private void Loop()
    {
        while (true)
        {
            start.Wait();
            if (stopping) return;
            try
            {
                work!(1);
            }
            catch (Exception e)
            {
                workerError = e;
            }
            done.Release();
        }
    }

    /// <summary>Stops the worker thread.</summary>
    public void Dispose()
    {
        if (stopping) return;
        stopping = true;
        start.Release();
        worker.Join();
        start.Dispose();
        done.Dispose();
    }
}
