using SlmGateway.Core.Routing;

namespace SlmGateway.Core.Ports;

/// <summary>The tiers of agent sessions, by session key: in this process, or shared by replicas.</summary>
public interface ISessionTiers
{
    ValueTask<SessionTier?> FindAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Records that a step was served at <paramref name="tier"/>: the first step of a conversation
    /// (<paramref name="startsSession"/>) sets the tier; a later step only raises it, never lowering a remote tier.
    /// </summary>
    ValueTask RecordAsync(string key, SessionTier tier, bool startsSession, CancellationToken cancellationToken);
}
