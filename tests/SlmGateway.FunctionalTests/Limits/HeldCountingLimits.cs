using SlmGateway.Core.Configuration;
using SlmGateway.Host.Limits;

namespace SlmGateway.FunctionalTests.Limits;

/// <summary>The gateway's in-process key limits, counting each answer only once <paramref name="countingMayGoOn"/> lets it: a slow limits store.</summary>
internal sealed class HeldCountingLimits(Func<Task> countingMayGoOn) : IKeyLimits
{
    private readonly MemoryKeyLimits _limits = new();

    public ValueTask<LimitVerdict> AdmitAsync(ClientKeyOptions key, DateTimeOffset now, CancellationToken cancellationToken) =>
        _limits.AdmitAsync(key, now, cancellationToken);

    public async ValueTask RecordAsync(ClientKeyOptions key, long tokens, double costUsd, DateTimeOffset now)
    {
        await countingMayGoOn();
        await _limits.RecordAsync(key, tokens, costUsd, now);
    }
}
