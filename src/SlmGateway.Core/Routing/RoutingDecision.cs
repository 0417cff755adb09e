namespace SlmGateway.Core.Routing;

/// <summary>Where a request goes and why: the value behind <c>x-slmgw-route</c> and <c>x-slmgw-reason</c>.</summary>
public sealed record RoutingDecision(string Target, string Reason, double? LocalProbability = null)
{
    /// <summary>The LoRA adapter the local model serves this request's task cluster with, if any.</summary>
    public string? Adapter { get; init; }
}

/// <summary>The kind of work a request is, from its structure (<see cref="RequestShape.Task"/>): what per-task policy and local models are keyed by.</summary>
public static class TaskLabels
{
    public const string ToolCall = "tool_call";
    public const string Json = "json";
    public const string Chat = "chat";
}

/// <summary>The reasons a decision or a change of route can carry.</summary>
public static class RoutingReasons
{
    public const string ExplicitModel = "explicit_model";
    public const string HeaderOverride = "header_override";
    public const string KeyPolicy = "key_policy";
    public const string TaskPolicy = "task_policy";
    public const string ForcedStructure = "forced_structure";
    public const string TooLong = "too_long";
    public const string LongOutput = "long_output";
    public const string UnsupportedLocally = "unsupported_locally";
    public const string SemanticLocal = "semantic_local";
    public const string SemanticRemote = "semantic_remote";
    public const string NoRemote = "no_remote";
    public const string Spilled = "spilled";
    public const string Escalated = "escalated";
    public const string DegradedFallback = "degraded_fallback";
    public const string FirstTokenDeadline = "first_token_deadline";
    public const string ClusterPromoted = "cluster_promoted";
    public const string ClusterDemoted = "cluster_demoted";

    /// <summary>The agent session was served remotely before: it stays there.</summary>
    public const string SessionRemote = "session_remote";

    /// <summary>A step answering a tool result, on the local model that made the call.</summary>
    public const string SessionContinues = "session_continues";
}
