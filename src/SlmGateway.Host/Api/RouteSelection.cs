using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;

namespace SlmGateway.Host.Api;

/// <summary>
/// Where a request may run and where it goes first: the route (a local model and remote upstreams)
/// for the model it names, or for <c>auto</c> the configured pair; then, cheapest signal first, the
/// header override or the key's policy, the model name itself, and the classifier.
/// </summary>
internal static class RouteSelection
{
    private const string RouteHeader = "x-slmgw-route";

    public static (ModelRoute? Route, RoutingDecision? Decision, GatewayError? Error) Select(
        HttpContext context, string model, ChatCompletionRequest? chat, string? clientKeyId)
    {
        var services = context.RequestServices;
        var routing = services.GetRequiredService<IOptionsMonitor<RoutingOptions>>().CurrentValue;
        var catalog = services.GetRequiredService<ModelCatalog>();
        var auto = chat is not null && routing.AutoModels.Contains(model);
        var route = auto ? AutoRoute(model, routing, catalog) : catalog.Resolve(model);
        if (route is null || (route.Local is null && route.Remote.Count == 0))
        {
            return (null, null, GatewayError.ModelNotFound(model));
        }

        var eitherWay = route.Local is not null && route.Remote.Count > 0 && chat is not null;
        var policy = clientKeyId is not null && routing.Keys.TryGetValue(clientKeyId, out var keyPolicy) ? keyPolicy : null;
        if (context.Request.Headers[RouteHeader] is { Count: > 0 } header)
        {
            if (!(policy?.AllowHeaderOverride ?? routing.AllowHeaderOverride))
            {
                return (null, null, GatewayError.Forbidden($"This key may not choose the route with the {RouteHeader} header.", RouteHeader));
            }

            var wanted = header.ToString();
            if (wanted is not (BackendKeys.Local or BackendKeys.Remote) || (wanted == BackendKeys.Local ? route.Local is null : route.Remote.Count == 0))
            {
                return (null, null, GatewayError.InvalidRequest($"The {RouteHeader} header must be 'local' or 'remote', and the model must be servable there; '{model}' is not servable at '{wanted}'.", RouteHeader, "invalid_value"));
            }

            return (route, new RoutingDecision(wanted, RoutingReasons.HeaderOverride), null);
        }

        if (eitherWay && policy?.Route is BackendKeys.Local or BackendKeys.Remote)
        {
            return (route, new RoutingDecision(policy.Route, RoutingReasons.KeyPolicy), null);
        }

        if (!auto || !eitherWay)
        {
            var target = route.Local is not null && (chat is not null || route.Remote.Count == 0) ? BackendKeys.Local : BackendKeys.Remote;
            var reason = auto ? (route.Remote.Count == 0 ? RoutingReasons.NoRemote : RoutingReasons.UnsupportedLocally) : RoutingReasons.ExplicitModel;
            return (route, new RoutingDecision(target, reason), null);
        }

        var state = services.GetRequiredService<ILocalModelStatus>().States.GetValueOrDefault(route.Local!);
        var limits = new LocalLimits(state is { ContextLength: > 0 } ? state.ContextLength : int.MaxValue, state is { MaxOutputTokens: > 0 } ? state.MaxOutputTokens : int.MaxValue);
        return (route, services.GetRequiredService<IRequestClassifier>().Classify(chat!, limits), null);
    }

    /// <summary>For <c>auto</c>: the configured local model and the configured remote model (by its name) with its upstreams.</summary>
    private static ModelRoute AutoRoute(string model, RoutingOptions routing, ModelCatalog catalog)
    {
        var remote = routing.RemoteModel is { } remoteModel ? catalog.Resolve(remoteModel)?.Remote ?? [] : [];
        var local = routing.LocalModel is { } localModel && catalog.Resolve(localModel)?.Local is { } name ? name : null;
        return new ModelRoute(routing.RemoteModel ?? model, remote, local);
    }
}
