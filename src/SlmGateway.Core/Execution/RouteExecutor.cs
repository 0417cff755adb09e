using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using SlmGateway.Core.Routing;

namespace SlmGateway.Core.Execution;

/// <summary>
/// Carries out a <see cref="RoutePlan"/>: one loop over its candidates until one commits a response
/// or fails in a way its candidate does not move on from. Each try is appended to the request's trace.
/// </summary>
public sealed class RouteExecutor(
    [FromKeyedServices(BackendKeys.Local)] IRequestBackend local,
    [FromKeyedServices(BackendKeys.Remote)] IRequestBackend remote)
{
    public async ValueTask<BackendOutcome> ExecuteAsync(HttpContext context, GatewayRequest request, RoutePlan plan, RequestTrace trace)
    {
        BackendOutcome? answer = null;
        var seen = FailureKinds.None;
        string? movedBecause = null;
        for (var i = 0; i < plan.Candidates.Count; i++)
        {
            var candidate = plan.Candidates[i];
            if (candidate.OnlyAfter != FailureKinds.None && (seen & candidate.OnlyAfter) == 0)
            {
                continue;
            }

            var reason = candidate.Reason ?? movedBecause ?? RoutingReasons.ExplicitModel;
            trace.Begin(candidate, reason);
            var backend = candidate.Backend == BackendKeys.Local ? local : remote;
            var outcome = await backend.ServeAsync(request, plan.Route, candidate, context);
            trace.End(outcome);
            if (outcome.Committed)
            {
                return outcome;
            }

            if (!candidate.Degraded || answer is null)
            {
                answer = outcome;
            }

            seen |= outcome.Failure;
            if ((candidate.MoveOn & outcome.Failure) == 0)
            {
                break;
            }

            movedBecause = ReasonFor(outcome);
        }

        return answer ?? throw new InvalidOperationException("A route plan must hold at least one candidate.");
    }

    /// <summary>The reason a fallback candidate carries, from the failure that led to it.</summary>
    private static string ReasonFor(BackendOutcome outcome) => outcome.Failure switch
    {
        FailureKinds.Overloaded => RoutingReasons.Spilled,
        FailureKinds.Unsupported => RoutingReasons.UnsupportedLocally,
        FailureKinds.Rejected => $"{RoutingReasons.Escalated}_{outcome.Report.Escalation ?? "validation"}",
        FailureKinds.FirstTokenLate => RoutingReasons.FirstTokenDeadline,
        _ => RoutingReasons.DegradedFallback,
    };
}
