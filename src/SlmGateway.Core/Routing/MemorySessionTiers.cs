using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Ports;

namespace SlmGateway.Core.Routing;

/// <summary>
/// Session tiers in this process: a size-bounded cache (<c>Sessions:MaxEntries</c>; when full, it
/// compacts the least recently used) whose entries expire after <c>Sessions:IdleTimeout</c> unseen.
/// </summary>
public sealed class MemorySessionTiers : ISessionTiers, IDisposable
{
    private readonly MemoryCache _cache;
    private readonly TimeSpan _idle;

    public MemorySessionTiers(IOptions<RoutingOptions> options)
    {
        var sessions = options.Value.Sessions;
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = sessions.MaxEntries, CompactionPercentage = 0.1 });
        _idle = sessions.IdleTimeout;
    }

    public int Count => _cache.Count;

    public ValueTask<SessionTier?> FindAsync(string key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_cache.Get<SessionTier>(key));

    public ValueTask RecordAsync(string key, SessionTier tier, bool startsSession, CancellationToken cancellationToken)
    {
        lock (_cache)
        {
            if (startsSession || SessionTier.Moves(_cache.Get<SessionTier>(key), tier.Tier))
            {
                _cache.Set(key, tier, new MemoryCacheEntryOptions { Size = 1, SlidingExpiration = _idle });
            }
        }

        return ValueTask.CompletedTask;
    }

    public void Dispose() => _cache.Dispose();
}
