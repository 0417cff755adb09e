namespace SlmGateway.Backends.Onnx.Models;

/// <summary>
/// How one model's generations have ended since start (completed, cancelled by the client, failed),
/// and how long a completed one takes (an exponentially weighted average, for predicting queue waits).
/// </summary>
internal sealed class GenerationCounters
{
    private const double Smoothing = 0.2;
    private readonly Lock _averageLock = new();
    private double _averageMs;
    private long _completed;
    private long _cancelled;
    private long _failed;

    public long Completed => Interlocked.Read(ref _completed);

    public long Cancelled => Interlocked.Read(ref _cancelled);

    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>The average duration of completed generations, or null before the first one.</summary>
    public TimeSpan? AverageDuration
    {
        get
        {
            lock (_averageLock)
            {
                return _averageMs > 0 ? TimeSpan.FromMilliseconds(_averageMs) : null;
            }
        }
    }

    public void Ended(Exception? failure, TimeSpan duration)
    {
        switch (failure)
        {
            case null:
                Interlocked.Increment(ref _completed);
                lock (_averageLock)
                {
                    _averageMs = _averageMs > 0 ? (Smoothing * duration.TotalMilliseconds) + ((1 - Smoothing) * _averageMs) : duration.TotalMilliseconds;
                }

                break;
            case OperationCanceledException:
                Interlocked.Increment(ref _cancelled);
                break;
            default:
                Interlocked.Increment(ref _failed);
                break;
        }
    }
}
