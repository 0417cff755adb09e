namespace SlmGateway.Core.Execution;

/// <summary>
/// What happened to one request, filled in as it goes (model, route, upstream, attempts) and read
/// once at the end by the request-completion log event.
/// </summary>
public sealed class RequestTrace
{
    public string? Model { get; set; }
    public string? Route { get; set; }
    public string? Reason { get; set; }

    /// <summary>The classifier's probability that the local model suffices, when it was asked.</summary>
    public double? LocalProbability { get; set; }

    /// <summary>Why a local answer was rejected (<c>tool_call</c>, <c>schema</c>, <c>confidence</c>), when it was.</summary>
    public string? Escalation { get; set; }
    public string? Upstream { get; set; }
    public int Attempts { get; set; }
    public string? ClientKeyId { get; set; }
    /// <summary>The remote model that would have served a locally served request (for the cost saved).</summary>
    public string? RemoteCounterpart { get; set; }

    public int? InputTokens { get; set; }
    public int? OutputTokens { get; set; }
    public double? FirstTokenSeconds { get; set; }
    public double? PerOutputTokenSeconds { get; set; }
    public double? ConfidenceMean { get; set; }
    public double? ConfidenceMin { get; set; }
}
