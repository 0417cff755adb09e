using SlmGateway.Core.Execution;

namespace SlmGateway.Backends.Remote.Upstreams;

internal sealed class UpstreamHealth(UpstreamRegistry registry) : IUpstreamHealth
{
    public IReadOnlyDictionary<string, string> CircuitStates =>
        registry.BreakerStates.ToDictionary(pair => pair.Key, pair => pair.Value.ToString().ToLowerInvariant());
}
