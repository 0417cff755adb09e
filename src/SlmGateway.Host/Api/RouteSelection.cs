using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Conversion;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;

namespace SlmGateway.Host.Api;

/// <summary>
/// Where a request may run and where it goes first: the route (a local model and remote upstreams)
/// for the model it names, or for <c>auto</c> the configured pair; then, cheapest signal first, the
/// header override or the key's policy, the model name itself, the classifier's structural rules,
/// the task cluster's promotion or demotion (conversion loop), and the classifier's semantic vote.
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
        var alias = routing.Aliases.GetValueOrDefault(model);
        var auto = chat is not null && (alias is not null || routing.AutoModels.Contains(model));
        var task = chat is null ? null : TaskLabels.Of(chat);
        var taskPolicy = task is null ? null : routing.Tasks.GetValueOrDefault(task);
        var route = auto ? AutoRoute(model, routing, alias, taskPolicy, task!, catalog, services) : catalog.Resolve(model);
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

        if (taskPolicy?.Route is BackendKeys.Local or BackendKeys.Remote)
        {
            return (route, new RoutingDecision(taskPolicy.Route, RoutingReasons.TaskPolicy), null);
        }

        var state = services.GetRequiredService<ILocalModelStatus>().States.GetValueOrDefault(route.Local!);
        var limits = new LocalLimits(state is { ContextLength: > 0 } ? state.ContextLength : int.MaxValue, state is { MaxOutputTokens: > 0 } ? state.MaxOutputTokens : int.MaxValue);
        var threshold = alias?.Threshold ?? routing.Threshold;
        var classifier = services.GetRequiredService<IRequestClassifier>();
        if (classifier.ClassifyByStructure(chat!, limits) is { } settled)
        {
            return (route, settled, null);
        }

        return services.GetService<IClusterRouting>()?.Decide(chat!) is { } cluster
            ? (WithClusterModel(route, cluster, catalog), cluster.Decision, null)
            : (route, classifier.ClassifyBySemantics(chat!, threshold), null);
    }

    /// <summary>A promoted cluster is served by the local model its shadow evidence is for, when that model is still served.</summary>
    private static ModelRoute WithClusterModel(ModelRoute route, ClusterRoutingDecision cluster, ModelCatalog catalog) =>
        cluster.LocalModel is { } model && catalog.Resolve(model)?.Local is { } local ? route with { Local = local } : route;

    /// <summary>
    /// For a name that lets the gateway choose: the local model (the alias's, the task's, the first
    /// local model listing the task, then the default) and the remote model with its upstreams.
    /// </summary>
    private static ModelRoute AutoRoute(
        string model, RoutingOptions routing, AliasRoutingPolicy? alias, TaskRoutingPolicy? taskPolicy, string task, ModelCatalog catalog, IServiceProvider services)
    {
        var remoteModel = alias?.RemoteModel ?? routing.RemoteModel;
        var remote = remoteModel is not null ? catalog.Resolve(remoteModel)?.Remote ?? [] : [];
        var servesTask = services.GetRequiredService<IOptionsMonitor<LocalOptions>>().CurrentValue.Models
            .FirstOrDefault(local => local.Tasks.Contains(task))?.Name;
        var localModel = alias?.LocalModel ?? taskPolicy?.LocalModel ?? servesTask ?? routing.LocalModel;
        var local = localModel is not null && catalog.Resolve(localModel)?.Local is { } name ? name : null;
        return new ModelRoute(remoteModel ?? model, remote, local);
    }
}
