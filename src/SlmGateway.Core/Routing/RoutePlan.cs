using SlmGateway.Core.Execution;

namespace SlmGateway.Core.Routing;

/// <summary>
/// One place a request may be served: a backend and its model, the reason it is there, and the
/// conditions on which the executor leaves it for the next candidate. A fallback candidate without
/// a reason of its own takes the reason of the failure that led to it (spilled, escalated_*,
/// unsupported_locally, first_token_deadline).
/// </summary>
public sealed record RouteCandidate(string Backend, string Model, string? Reason)
{
    /// <summary>The local model's LoRA adapter for the request's task cluster.</summary>
    public string? Adapter { get; init; }

    /// <summary>Failures on which the executor moves on to the next candidate; any other failure is the answer.</summary>
    public FailureKinds MoveOn { get; init; }

    /// <summary>Tried only when an earlier candidate failed in one of these ways (none: always tried when reached).</summary>
    public FailureKinds OnlyAfter { get; init; }

    /// <summary>Check the local answer (tool calls, schema, confidence) against this bar before sending it: a later candidate can take over. Null: serve it as it is.</summary>
    public AnswerBar? Validate { get; init; }

    /// <summary>Leave for the next candidate when the predicted queue wait is too long, not only when the queue is full.</summary>
    public bool MaySpill { get; init; }

    /// <summary>A last resort: its own failure does not replace the error of the candidate before it.</summary>
    public bool Degraded { get; init; }

    /// <summary>Abandon the candidate, while nothing has reached the client, when its first token is not there in time.</summary>
    public TimeSpan? FirstTokenDeadline { get; init; }
}

/// <summary>The confidence a local answer needs (mean and minimum token log-probability) to be served rather than escalated.</summary>
public sealed record AnswerBar(double MinConfidenceMean, double MinConfidenceMin)
{
    /// <summary>Only the answer's form is judged (tool calls, schema); any confidence passes.</summary>
    public static readonly AnswerBar FormOnly = new(double.NegativeInfinity, double.NegativeInfinity);
}

/// <summary>
/// Where a request may run (<see cref="Route"/>) and the ordered candidates to try; the classifier's
/// probability that local suffices, when it was asked.
/// </summary>
public sealed record RoutePlan(ModelRoute Route, IReadOnlyList<RouteCandidate> Candidates, double? LocalProbability = null)
{
    /// <summary>The remote model a locally served request stands in for (for the cost saved).</summary>
    public string? RemoteCounterpart => Route.Remote.Count > 0 ? Route.Remote[0].UpstreamModel : null;
}
