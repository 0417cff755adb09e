using System.Threading.RateLimiting;

namespace SlmGateway.Conversion.Capture;

/// <summary>
/// The cap on calls captured per second (<see cref="CaptureOptions.MaxCallsPerSecond"/>): a token
/// bucket that holds one second's worth and refills about every tenth of a second. A changed
/// setting takes effect with a new bucket.
/// </summary>
public sealed class CaptureRate : IDisposable
{
    private readonly Lock _replacing = new();
    private volatile Bucket? _current;

    /// <summary>Whether one more call may be captured now; always, when <paramref name="perSecond"/> is 0.</summary>
    public bool TryTake(int perSecond)
    {
        if (perSecond <= 0)
        {
            return true;
        }

        using var lease = BucketFor(perSecond).AttemptAcquire();
        return lease.IsAcquired;
    }

    public void Dispose() => _current?.Limiter.Dispose();

    private TokenBucketRateLimiter BucketFor(int perSecond)
    {
        if (_current is { } current && current.PerSecond == perSecond)
        {
            return current.Limiter;
        }

        lock (_replacing)
        {
            if (_current is { } other && other.PerSecond == perSecond)
            {
                return other.Limiter;
            }

            var refills = Math.Min(perSecond, 10);
            var limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = perSecond,
                TokensPerPeriod = perSecond / refills,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1.0 / refills),
                QueueLimit = 0,
                AutoReplenishment = true,
            });
            var old = _current;
            _current = new Bucket(perSecond, limiter);
            old?.Limiter.Dispose();
            return limiter;
        }
    }

    private sealed record Bucket(int PerSecond, TokenBucketRateLimiter Limiter);
}
