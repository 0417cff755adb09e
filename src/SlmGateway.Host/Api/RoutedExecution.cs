using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;

namespace SlmGateway.Host.Api;

/// <summary>
/// Serves a request where the decision says, and moves it only while nothing has been committed: a
/// local model with a full queue spills to remote, a rejected local answer escalates to remote, and
/// a remote that fails (5xx, open circuits) falls back to the local model when there is one.
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

            if (error.Error.Code == GatewayError.RejectedCode)
            {
                return await ServeOnAsync(context, BackendKeys.Remote, $"{RoutingReasons.Escalated}_{trace?.Escalation ?? "validation"}", request, route, trace);
            }
        }

        if (decision.Target == BackendKeys.Remote && route.Local is not null && request.Chat is not null && error.StatusCode >= 500)
        {
            var fallback = await ServeOnAsync(context, BackendKeys.Local, RoutingReasons.DegradedFallback, request, route, trace);
            return fallback.Committed ? fallback : outcome;
        }

        return outcome;
    }

    private static ValueTask<BackendOutcome> ServeOnAsync(
        HttpContext context, string backend, string reason, GatewayRequest request, ModelRoute route, RequestTrace? trace)
    {
        if (trace is not null)
        {
            (trace.Route, trace.Reason) = (backend, reason);
        }

        return context.RequestServices.GetRequiredKeyedService<IRequestBackend>(backend).ServeAsync(request, route, context);
    }
}
