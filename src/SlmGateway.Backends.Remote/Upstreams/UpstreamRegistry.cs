using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Backends.Remote.Upstreams;

/// <summary>
/// The configured upstreams as an immutable table, rebuilt on configuration change. Replaced
/// connection pools are disposed once requests still using them have had time to finish.
/// </summary>
internal sealed class UpstreamRegistry : IDisposable
{
    private readonly IOptionsMonitor<RemoteOptions> _options;
    private readonly IDisposable? _subscription;
    private volatile FrozenDictionary<string, Upstream> _upstreams;

    public UpstreamRegistry(IOptionsMonitor<RemoteOptions> options)
    {
        _options = options;
        _upstreams = Build(options.CurrentValue);
        _subscription = options.OnChange(_ => Reload());
    }

    public Upstream? Find(string name) => _upstreams.GetValueOrDefault(name);

    /// <summary>Each upstream's circuit state, for readiness and diagnostics.</summary>
    public IReadOnlyDictionary<string, CircuitState> BreakerStates =>
        _upstreams.ToDictionary(pair => pair.Key, pair => pair.Value.BreakerState.CircuitState);

    public void Dispose()
    {
        _subscription?.Dispose();
        foreach (var upstream in _upstreams.Values)
        {
            upstream.Dispose();
        }
    }

    private void Reload()
    {
        var previous = _upstreams;
        _upstreams = Build(_options.CurrentValue);
        var grace = previous.Values.Select(u => u.Options.Timeouts.Total).DefaultIfEmpty(TimeSpan.Zero).Max();
        _ = Task.Delay(grace).ContinueWith(
            _ =>
            {
                foreach (var upstream in previous.Values)
                {
                    upstream.Dispose();
                }
            },
            TaskScheduler.Default);
    }

    private static FrozenDictionary<string, Upstream> Build(RemoteOptions options) =>
        options.Upstreams.ToFrozenDictionary(
            u => u.Name,
            u => new Upstream(u, ApiKeyResolver.Resolve(u)),
            StringComparer.OrdinalIgnoreCase);
}
