using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;

namespace SlmGateway.Host.Api;

/// <summary>
/// Serves a request where the decision says, and moves it only while nothing has been committed: a
/// local model with a full queue spills to remote, a request it cannot take goes remote, a rejected
/// local answer escalates to remote, and
/// a remote that fails (5xx, open circuits), first choice or escalation, falls back to the local
/// model's answer as it is when there is one.
/// </summary>
internal static class RoutedExecution
{
    public static async ValueTask<BackendOutcome> ServeAsync(
        HttpContext context, GatewayRequest request, ModelRoute route, RoutingDecision decision, RequestTrace? trace)
    {
        var outcome = await ServeOnAsync(context, decision.Target, decision.Reason, request, route, trace);
        if (outcome.Committed || outcome.Error is not { } error)
        {
            return outcome;
        }

        if (decision.Target == BackendKeys.Local && route.Remote.Count > 0)
        {
            if (error.Error.Code == GatewayError.OverloadedCode)
            {
                return await ServeOnAsync(context, BackendKeys.Remote, RoutingReasons.Spilled, request, route, trace);
            }

            // What the local model cannot take (a schema, n, a long prompt) is not the client's fault when
            // the gateway chose local: the remote model answers instead. A route the client or the operator
            // forced (header, key or task policy) keeps its 400.
            if (error.StatusCode == 400 && decision.Reason is not (RoutingReasons.HeaderOverride or RoutingReasons.KeyPolicy or RoutingReasons.TaskPolicy))
            {
                return await ServeOnAsync(context, BackendKeys.Remote, RoutingReasons.UnsupportedLocally, request, route, trace);
            }

            if (error.Error.Code == GatewayError.RejectedCode)
            {
                var escalated = await ServeOnAsync(context, BackendKeys.Remote, $"{RoutingReasons.Escalated}_{trace?.Escalation ?? "validation"}", request, route, trace);
                return await FallBackToLocalAsync(context, escalated, request, route, trace);
            }
        }

        return decision.Target == BackendKeys.Remote ? await FallBackToLocalAsync(context, outcome, request, route, trace) : outcome;
    }

    private static async ValueTask<BackendOutcome> FallBackToLocalAsync(
        HttpContext context, BackendOutcome remote, GatewayRequest request, ModelRoute route, RequestTrace? trace)
    {
        if (remote.Committed || remote.Error is not { StatusCode: >= 500 } || route.Local is null || request.Chat is null)
        {
            return remote;
        }

        var fallback = await ServeOnAsync(context, BackendKeys.Local, RoutingReasons.DegradedFallback, request with { AcceptLocalAsIs = true }, route, trace);
        return fallback.Committed ? fallback : remote;
    }

    private static ValueTask<BackendOutcome> ServeOnAsync(
        HttpContext context, string backend, string reason, GatewayRequest request, ModelRoute route, RequestTrace? trace)
    {
        if (trace is not null)
        {
            (trace.Route, trace.Reason, trace.Model) = (backend, reason, backend == BackendKeys.Local ? route.Local : route.Model);
            trace.RemoteCounterpart = route.Remote.Count > 0 ? route.Remote[0].UpstreamModel : null;
        }

        return context.RequestServices.GetRequiredKeyedService<IRequestBackend>(backend).ServeAsync(request, route, context);
    }
}
