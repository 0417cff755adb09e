using Microsoft.Extensions.Options;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Ports;

namespace SlmGateway.Core.Routing;

/// <summary>What the planner decides on: the model asked for, the chat request and its shape (null for other endpoints), the key, the route header.</summary>
public sealed record RouteRequest(string Model, ChatCompletionRequest? Chat, RequestShape? Shape, string? ClientKeyId, string? RouteHeader)
{
    /// <summary>The tier of the agent session the request belongs to, when one is known (see <see cref="SessionTier"/>).</summary>
    public SessionTier? Session { get; init; }
}

/// <summary>
/// Turns a request into a <see cref="RoutePlan"/>: where it may run (the model it names, or for a
/// name that lets the gateway choose, the configured pair), then the first choice, cheapest signal
/// first: the route header, the key's policy, the model name itself, the task's policy, the
/// classifier's structural rules, the agent session's tier, the task cluster's promotion or demotion
/// (conversion loop), the trained classifier; then what follows the first choice: spill, escalation and
/// unsupported requests to the remote model after a local choice, the local model as a last resort
/// after a remote one, and first-token deadlines where a later candidate can take over.
/// </summary>
public sealed class RoutePlanner(
    IOptionsMonitor<RoutingOptions> routingOptions,
    IOptionsMonitor<LocalOptions> localOptions,
    ModelCatalog catalog,
    IRequestClassifier classifier,
    ILocalModelStatus localStatus,
    IEnumerable<IClusterRouting> clusterRouting)
{
    public const string RouteHeader = "x-slmgw-route";
    private const FailureKinds LeaveLocal = FailureKinds.Overloaded | FailureKinds.Rejected | FailureKinds.FirstTokenLate;
    private readonly IClusterRouting? _clusters = clusterRouting.FirstOrDefault();

    public (RoutePlan? Plan, GatewayError? Error) Plan(RouteRequest request)
    {
        var routing = routingOptions.CurrentValue;
        var (model, chat) = (request.Model, request.Chat);
        var alias = routing.AutoAliases.GetValueOrDefault(model);
        var auto = chat is not null && (alias is not null || routing.AutoModels.Contains(model));
        var task = request.Shape?.Task;
        var taskPolicy = task is null ? null : routing.Tasks.GetValueOrDefault(task);
        var route = auto ? AutoRoute(model, routing, alias, taskPolicy, task!) : catalog.Resolve(model);
        if (route is null || (route.Local is null && route.Remote.Count == 0))
        {
            return (null, GatewayError.ModelNotFound(model));
        }

        var eitherWay = route.Local is not null && route.Remote.Count > 0 && chat is not null;
        var keyPolicy = request.ClientKeyId is not null && routing.Keys.TryGetValue(request.ClientKeyId, out var policy) ? policy : null;
        if (request.RouteHeader is { } wanted)
        {
            if (!(keyPolicy?.AllowHeaderOverride ?? routing.AllowHeaderOverride))
            {
                return (null, GatewayError.Forbidden($"This key may not choose the route with the {RouteHeader} header.", RouteHeader));
            }

            return wanted is not (BackendKeys.Local or BackendKeys.Remote) || (wanted == BackendKeys.Local ? route.Local is null : route.Remote.Count == 0)
                ? (null, GatewayError.InvalidRequest($"The {RouteHeader} header must be 'local' or 'remote', and the model must be servable there; '{model}' is not servable at '{wanted}'.", RouteHeader, "invalid_value"))
                : (Build(route, new RoutingDecision(wanted, RoutingReasons.HeaderOverride), chat, forced: true), null);
        }

        if (eitherWay && keyPolicy?.Route is BackendKeys.Local or BackendKeys.Remote)
        {
            return (Build(route, new RoutingDecision(keyPolicy.Route, RoutingReasons.KeyPolicy), chat, forced: true), null);
        }

        if (!auto || !eitherWay)
        {
            var target = route.Local is not null && (chat is not null || route.Remote.Count == 0) ? BackendKeys.Local : BackendKeys.Remote;
            var reason = auto ? (route.Remote.Count == 0 ? RoutingReasons.NoRemote : RoutingReasons.UnsupportedLocally) : RoutingReasons.ExplicitModel;
            return (Build(route, new RoutingDecision(target, reason), chat, forced: false), null);
        }

        if (taskPolicy?.Route is BackendKeys.Local or BackendKeys.Remote)
        {
            return (Build(route, new RoutingDecision(taskPolicy.Route, RoutingReasons.TaskPolicy), chat, forced: true), null);
        }

        var decision = Decide(route, request, alias?.Threshold ?? routing.Threshold, out var chosen);
        return (Build(chosen, decision, chat, forced: false), null);
    }

    /// <summary>Whether a model name lets the gateway choose the route (only then do sessions matter).</summary>
    public bool ChoosesRoute(string model)
    {
        var routing = routingOptions.CurrentValue;
        return routing.AutoModels.Contains(model) || routing.AutoAliases.ContainsKey(model);
    }

    /// <summary>
    /// Structural rules; the session's tier (a session served remotely stays remote; a step answering
    /// a tool result continues on the local model that made the call); the task cluster's decision;
    /// then the trained classifier. A promoted cluster's local model serves it.
    /// </summary>
    private RoutingDecision Decide(ModelRoute route, RouteRequest request, double threshold, out ModelRoute chosen)
    {
        chosen = route;
        var chat = request.Chat!;
        var state = localStatus.States.GetValueOrDefault(route.Local!);
        var limits = new LocalLimits(state is { ContextLength: > 0 } ? state.ContextLength : int.MaxValue, state is { MaxOutputTokens: > 0 } ? state.MaxOutputTokens : int.MaxValue);
        var settled = classifier.ClassifyByStructure(chat, limits);
        if (settled?.Target == BackendKeys.Remote)
        {
            return settled;
        }

        if (request.Session is { IsRemote: true })
        {
            return new RoutingDecision(BackendKeys.Remote, RoutingReasons.SessionRemote);
        }

        if (settled is not null)
        {
            return settled;
        }

        if (request.Session is { } session && request.Shape is { FollowsToolResult: true })
        {
            if (session.Model is { } model && catalog.Resolve(model)?.Local is { } sessionModel)
            {
                chosen = route with { Local = sessionModel };
            }

            return new RoutingDecision(BackendKeys.Local, RoutingReasons.SessionContinues);
        }

        if (_clusters?.Decide(chat) is not { } cluster)
        {
            return classifier.ClassifyBySemantics(chat, threshold);
        }

        if (cluster.LocalModel is { } promoted && catalog.Resolve(promoted)?.Local is { } local)
        {
            chosen = route with { Local = local };
        }

        return cluster.Decision;
    }

    /// <summary>The candidates that follow from the first choice.</summary>
    private RoutePlan Build(ModelRoute route, RoutingDecision decision, ChatCompletionRequest? chat, bool forced)
    {
        var routing = routingOptions.CurrentValue;
        var deadline = routing.FirstTokenDeadline;
        var remoteAfter = route.Remote.Count > 0;
        var localAfter = route.Local is not null && chat is not null;
        List<RouteCandidate> candidates;
        if (decision.Target == BackendKeys.Local)
        {
            var local = new RouteCandidate(BackendKeys.Local, route.Local!, decision.Reason)
            {
                Adapter = decision.Adapter,
                Validate = remoteAfter ? new AnswerBar(routing.MinConfidenceMean, routing.MinConfidenceMin) : null,
                MaySpill = remoteAfter,
                MoveOn = remoteAfter ? LeaveLocal | (forced ? FailureKinds.None : FailureKinds.Unsupported) : FailureKinds.None,
                FirstTokenDeadline = remoteAfter ? deadline : null,
            };
            candidates = remoteAfter
                ?
                [
                    local,
                    new RouteCandidate(BackendKeys.Remote, route.Model, null) { MoveOn = FailureKinds.UpstreamFailed },
                    LastResort(route, decision) with { OnlyAfter = FailureKinds.Rejected },
                ]
                : [local];
        }
        else
        {
            var remote = new RouteCandidate(BackendKeys.Remote, route.Model, decision.Reason)
            {
                MoveOn = localAfter ? FailureKinds.UpstreamFailed | FailureKinds.FirstTokenLate : FailureKinds.None,
                FirstTokenDeadline = localAfter ? deadline : null,
            };
            candidates = localAfter ? [remote, LastResort(route, decision)] : [remote];
        }

        return new RoutePlan(route, candidates, decision.LocalProbability);
    }

    /// <summary>The local model's answer as it is, when the remote model has failed (degraded_fallback) or was late (first_token_deadline).</summary>
    private static RouteCandidate LastResort(ModelRoute route, RoutingDecision decision) =>
        new(BackendKeys.Local, route.Local!, null) { Adapter = decision.Adapter, Degraded = true };

    /// <summary>
    /// For a name that lets the gateway choose: the local model (the alias's, the task's, the first
    /// local model listing the task, then the default) and the remote model with its upstreams.
    /// </summary>
    private ModelRoute AutoRoute(string model, RoutingOptions routing, AutoAliasPolicy? alias, TaskRoutingPolicy? taskPolicy, string task)
    {
        var remoteModel = alias?.RemoteModel ?? routing.RemoteModel;
        var remote = remoteModel is not null ? catalog.Resolve(remoteModel)?.Remote ?? [] : [];
        var servesTask = localOptions.CurrentValue.Models.FirstOrDefault(local => local.Tasks.Contains(task))?.Name;
        var localModel = alias?.LocalModel ?? taskPolicy?.LocalModel ?? servesTask ?? routing.LocalModel;
        var local = localModel is not null && catalog.Resolve(localModel)?.Local is { } name ? name : null;
        return new ModelRoute(remoteModel ?? model, remote, local);
    }
}
