namespace SlmGateway.Backends.Onnx.Models;

/// <summary>How one model's generations have ended since start: completed, cancelled by the client, or failed.</summary>
internal sealed class GenerationCounters
{
    private long _completed;
    private long _cancelled;
    private long _failed;

    public long Completed => Interlocked.Read(ref _completed);

    public long Cancelled => Interlocked.Read(ref _cancelled);

    public long Failed => Interlocked.Read(ref _failed);

    public void Ended(Exception? failure)
    {
        switch (failure)
        {
            case null:
                Interlocked.Increment(ref _completed);
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
