using Microsoft.AspNetCore.Http;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Routing;

namespace SlmGateway.Core.Execution;

/// <summary>
/// Where work runs. A backend serves one candidate of a route plan onto the HTTP response itself and
/// says, in a typed outcome, whether it committed a response or how it failed before committing; what
/// happens next is the plan's business, not the backend's.
/// </summary>
public interface IRequestBackend
{
    ValueTask<BackendOutcome> ServeAsync(GatewayRequest request, ModelRoute route, RouteCandidate candidate, HttpContext context);
}

/// <summary>How a backend failed before anything reached the client; the plan says which ones move on to the next candidate.</summary>
[Flags]
public enum FailureKinds
{
    None = 0,

    /// <summary>The local model's queue is full, or its predicted wait too long.</summary>
    Overloaded = 1,

    /// <summary>The local model cannot take the request (a schema, <c>n</c>, a prompt too long): a 400 of its own.</summary>
    Unsupported = 2,

    /// <summary>The local answer failed validation (tool call, schema, confidence).</summary>
    Rejected = 4,

    /// <summary>The remote path failed: every upstream errored, timed out or has its circuit open (5xx).</summary>
    UpstreamFailed = 8,

    /// <summary>No first token within the candidate's first-token deadline.</summary>
    FirstTokenLate = 16,

    /// <summary>Any other refusal (a 4xx passed on, a model that failed to load): never moved on from.</summary>
    Refused = 32,
}

/// <summary>What one backend did for one candidate: committed, or failed (how, and the error to answer with), and what it measured.</summary>
public readonly record struct BackendOutcome(bool Committed, FailureKinds Failure, GatewayError? Error, TimeSpan? RetryAfter, AttemptReport Report)
{
    public static BackendOutcome Served(AttemptReport report) => new(true, FailureKinds.None, null, null, report);

    public static BackendOutcome Failed(FailureKinds failure, GatewayError error, AttemptReport report, TimeSpan? retryAfter = null) =>
        new(false, failure, error, retryAfter, report);
}

/// <summary>
/// What a backend measured while serving a candidate: the upstream that answered last and how many
/// upstream tries it took, tokens, local timing and confidence, and why a local answer was rejected.
/// </summary>
public sealed record AttemptReport
{
    public static readonly AttemptReport Empty = new();

    public string? Upstream { get; init; }
    public int UpstreamTries { get; init; }
    public int? InputTokens { get; init; }
    public int? OutputTokens { get; init; }
    public double? FirstTokenSeconds { get; init; }
    public double? PerOutputTokenSeconds { get; init; }
    public double? ConfidenceMean { get; init; }
    public double? ConfidenceMin { get; init; }

    /// <summary>Why a local answer was rejected (<c>tool_call</c>, <c>schema</c>, <c>confidence</c>), when it was.</summary>
    public string? Escalation { get; init; }
}
