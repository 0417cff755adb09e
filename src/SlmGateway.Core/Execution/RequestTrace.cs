using SlmGateway.Core.Routing;

namespace SlmGateway.Core.Execution;

/// <summary>One candidate tried for a request: where, why, how it ended, and what the backend measured.</summary>
public sealed record RouteAttempt(string Backend, string Model, string Reason, FailureKinds Failure, AttemptReport Report);

/// <summary>
/// What happened to one request: who sent it, its plan, and an append-only list of the candidates
/// tried. Response headers read the candidate in progress; metrics, the completion log and capture
/// read the list once the request is done.
/// </summary>
public sealed class RequestTrace
{
    private readonly List<RouteAttempt> _attempts = new(2);
    private (RouteCandidate Candidate, string Reason)? _current;

    public string? ClientKeyId { get; set; }

    public RoutePlan? Plan { get; set; }

    public IReadOnlyList<RouteAttempt> Attempts => _attempts;

    /// <summary>The last candidate tried, for the answer's headers while it is being served.</summary>
    public string? Route => _current?.Candidate.Backend;

    public string? Reason => _current?.Reason;

    public string? Model => _current?.Candidate.Model ?? Plan?.Route.Model;

    /// <summary>What the final attempt measured; empty before any.</summary>
    public AttemptReport Final => _attempts.Count > 0 ? _attempts[^1].Report : AttemptReport.Empty;

    /// <summary>The upstream that answered last, across attempts.</summary>
    public string? Upstream => _attempts.LastOrDefault(a => a.Report.Upstream is not null)?.Report.Upstream;

    /// <summary>Upstream tries across all remote attempts (retries included).</summary>
    public int UpstreamTries => _attempts.Sum(a => a.Report.UpstreamTries);

    public void Begin(RouteCandidate candidate, string reason) => _current = (candidate, reason);

    public void End(BackendOutcome outcome)
    {
        if (_current is { } current)
        {
            _attempts.Add(new RouteAttempt(current.Candidate.Backend, current.Candidate.Model, current.Reason, outcome.Failure, outcome.Report));
        }
    }
}
