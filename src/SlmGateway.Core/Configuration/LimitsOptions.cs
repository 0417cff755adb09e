namespace SlmGateway.Core.Configuration;

/// <summary>Where client keys' rate limits and spend budgets are counted, bound from <c>SlmGateway:Limits</c>.</summary>
public sealed class LimitsOptions
{
    public const string Section = "SlmGateway:Limits";

    /// <summary><c>memory</c>: in this process (one replica); <c>redis</c>: shared by every replica using <see cref="Redis"/>.</summary>
    public string Store { get; set; } = "memory";

    /// <summary>A StackExchange.Redis configuration string, for example <c>redis:6379</c>.</summary>
    public string? Redis { get; set; }

    /// <summary>
    /// When Redis cannot answer: <c>open</c> lets the request through (logged, and counted in
    /// <c>slmgw_limits_unavailable_total</c>); <c>closed</c> refuses it with 503.
    /// </summary>
    public string WhenUnavailable { get; set; } = "open";

    /// <summary>How long a check may wait for Redis before it counts as unavailable.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMilliseconds(250);
}
