using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Core.Routing;

/// <summary>
/// Resolves public model names and aliases to routes. Rebuilt as an immutable snapshot whenever the
/// configuration changes, so a request always sees one consistent table.
/// </summary>
public sealed class ModelCatalog : IDisposable
{
    private const string AnyModel = "*";
    private readonly IDisposable? _remoteSubscription;
    private readonly IDisposable? _gatewaySubscription;
    private readonly IOptionsMonitor<RemoteOptions> _remote;
    private readonly IOptionsMonitor<GatewayOptions> _gateway;
    private volatile Snapshot _snapshot;

    public ModelCatalog(IOptionsMonitor<RemoteOptions> remote, IOptionsMonitor<GatewayOptions> gateway)
    {
        _remote = remote;
        _gateway = gateway;
        _snapshot = Build(remote.CurrentValue, gateway.CurrentValue);
        _remoteSubscription = remote.OnChange(_ => Rebuild());
        _gatewaySubscription = gateway.OnChange(_ => Rebuild());
    }

    /// <summary>Every servable public name, aliases included, in a stable order.</summary>
    public IReadOnlyList<string> ModelNames => _snapshot.Names;

    public ModelRoute? Resolve(string model)
    {
        var snapshot = _snapshot;
        if (snapshot.Aliases.TryGetValue(model, out var target))
        {
            model = target;
        }

        if (snapshot.Routes.TryGetValue(model, out var route))
        {
            return route;
        }

        return snapshot.Wildcards.Count == 0
            ? null
            : new ModelRoute(model, snapshot.Wildcards.Select(name => new UpstreamTarget(name, model)).ToArray());
    }

    public void Dispose()
    {
        _remoteSubscription?.Dispose();
        _gatewaySubscription?.Dispose();
    }

    private void Rebuild() => _snapshot = Build(_remote.CurrentValue, _gateway.CurrentValue);

    private static Snapshot Build(RemoteOptions remote, GatewayOptions gateway)
    {
        var targets = new Dictionary<string, List<UpstreamTarget>>(StringComparer.Ordinal);
        var wildcards = new List<string>();
        foreach (var upstream in remote.Upstreams)
        {
            foreach (var (publicName, upstreamName) in upstream.Models)
            {
                if (publicName == AnyModel)
                {
                    wildcards.Add(upstream.Name);
                    continue;
                }

                if (!targets.TryGetValue(publicName, out var list))
                {
                    targets[publicName] = list = [];
                }

                list.Add(new UpstreamTarget(upstream.Name, string.IsNullOrEmpty(upstreamName) ? publicName : upstreamName));
            }
        }

        var routes = targets.ToFrozenDictionary(
            pair => pair.Key,
            pair => new ModelRoute(pair.Key, pair.Value.Concat(wildcards.Select(w => new UpstreamTarget(w, pair.Key))).ToArray()),
            StringComparer.Ordinal);
        var aliases = gateway.Aliases
            .Where(pair => routes.ContainsKey(pair.Value) || wildcards.Count > 0)
            .ToFrozenDictionary(StringComparer.Ordinal);
        var names = routes.Keys.Concat(aliases.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return new Snapshot(routes, aliases, wildcards, names);
    }

    private sealed record Snapshot(
        FrozenDictionary<string, ModelRoute> Routes,
        FrozenDictionary<string, string> Aliases,
        IReadOnlyList<string> Wildcards,
        IReadOnlyList<string> Names);
}
