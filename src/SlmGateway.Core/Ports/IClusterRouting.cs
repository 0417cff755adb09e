using SlmGateway.Contracts.Chat;
using SlmGateway.Core.Routing;

namespace SlmGateway.Core.Ports;

/// <summary>The conversion loop's say in routing: where a request goes when its task cluster was promoted or demoted.</summary>
public interface IClusterRouting
{
    /// <summary>The decision for the request's cluster, or null when no cluster decision applies.</summary>
    ClusterRoutingDecision? Decide(ChatCompletionRequest request);
}

/// <summary>A cluster's decision, and for a promoted cluster the local model its evidence is for.</summary>
public sealed record ClusterRoutingDecision(RoutingDecision Decision, long ClusterId, string? LocalModel);
