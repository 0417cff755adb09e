using System.Threading.RateLimiting;

namespace SlmGateway.Backends.Onnx.Models;

/// <summary>
/// Admission to one model's generations: a cap on concurrent generations and a bounded FIFO queue
/// behind it. A request that finds the queue full is refused at once, so the caller can spill it.
/// </summary>
internal sealed class GenerationScheduler(int maxConcurrency, int queueLength) : IDisposable
{
    private readonly ConcurrencyLimiter _limiter = new(new ConcurrencyLimiterOptions
    {
        PermitLimit = maxConcurrency,
        QueueLimit = queueLength,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    });

    public int MaxConcurrency { get; } = maxConcurrency;

    public int Active => MaxConcurrency - (int)(_limiter.GetStatistics()?.CurrentAvailablePermits ?? MaxConcurrency);

    public int Queued => (int)(_limiter.GetStatistics()?.CurrentQueuedCount ?? 0);

    /// <summary>A lease that holds a generation slot until disposed, or null when the queue is full.</summary>
    public async ValueTask<RateLimitLease?> EnterAsync(CancellationToken cancellationToken)
    {
        var lease = await _limiter.AcquireAsync(1, cancellationToken);
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        return null;
    }

    public void Dispose() => _limiter.Dispose();
}
