using System.Collections.Frozen;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Ports;

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
    private readonly IReadOnlyList<string> _configuredLocal;
    private readonly ILocalModelRegistration? _registration;
    private IReadOnlyList<string> _localModels;
    private volatile Snapshot _snapshot;

    /// <param name="local">Configured local models are loaded once at start, so their names are read once too.</param>
    /// <param name="registration">Local models added while running (task specialists); their names join when they are added.</param>
    public ModelCatalog(
        IOptionsMonitor<RemoteOptions> remote, IOptionsMonitor<GatewayOptions> gateway, IOptions<LocalOptions> local, ILocalModelRegistration? registration = null)
    {
        _remote = remote;
        _gateway = gateway;
        _configuredLocal = local.Value.Models.Select(model => model.Name).ToArray();
        _registration = registration;
        _localModels = LocalModelNames();
        _snapshot = Build(remote.CurrentValue, gateway.CurrentValue, _localModels);
        _remoteSubscription = remote.OnChange(_ => Rebuild());
        _gatewaySubscription = gateway.OnChange(_ => Rebuild());
        if (registration is not null)
        {
            registration.Changed += OnLocalModelAdded;
        }
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

        if (snapshot.Local.Contains(model))
        {
            return new ModelRoute(model, [], model);
        }

        return snapshot.Wildcards.Count == 0
            ? null
            : new ModelRoute(model, snapshot.Wildcards.Select(name => new UpstreamTarget(name, model)).ToArray());
    }

    public void Dispose()
    {
        _remoteSubscription?.Dispose();
        _gatewaySubscription?.Dispose();
        if (_registration is not null)
        {
            _registration.Changed -= OnLocalModelAdded;
        }
    }

    private void OnLocalModelAdded()
    {
        _localModels = LocalModelNames();
        Rebuild();
    }

    private string[] LocalModelNames() => [.. _configuredLocal, .. _registration?.Added.Select(model => model.Name) ?? []];

    private void Rebuild() => _snapshot = Build(_remote.CurrentValue, _gateway.CurrentValue, _localModels);

    /// <remarks>
    /// A local model's name gets remote targets only where an upstream maps that exact name (to spill to);
    /// wildcard upstreams would send a local model's name to a provider that does not know it.
    /// </remarks>
    private static Snapshot Build(RemoteOptions remote, GatewayOptions gateway, IReadOnlyList<string> localModels)
    {
        var local = localModels.ToFrozenSet(StringComparer.Ordinal);
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
            pair => local.Contains(pair.Key)
                ? new ModelRoute(pair.Key, pair.Value, pair.Key)
                : new ModelRoute(pair.Key, pair.Value.Concat(wildcards.Select(w => new UpstreamTarget(w, pair.Key))).ToArray()),
            StringComparer.Ordinal);
        var aliases = gateway.Aliases
            .Where(pair => routes.ContainsKey(pair.Value) || local.Contains(pair.Value) || wildcards.Count > 0)
            .ToFrozenDictionary(StringComparer.Ordinal);
        var names = routes.Keys.Concat(local).Concat(aliases.Keys).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return new Snapshot(routes, aliases, wildcards, local, names);
    }

    private sealed record Snapshot(
        FrozenDictionary<string, ModelRoute> Routes,
        FrozenDictionary<string, string> Aliases,
        IReadOnlyList<string> Wildcards,
        FrozenSet<string> Local,
        IReadOnlyList<string> Names);
}
