namespace SlmGateway.Core.Configuration;

/// <summary>How the gateway stops on SIGTERM, bound from <c>SlmGateway:Shutdown</c>.</summary>
public sealed class ShutdownOptions
{
    public const string Section = "SlmGateway:Shutdown";

    /// <summary>
    /// First, for this long, <c>/readyz</c> answers 503 (<c>stopping</c>) while requests are still
    /// taken, so that load balancers send new ones to other replicas.
    /// </summary>
    public TimeSpan DrainDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Then new connections are refused and requests in flight, streams included, have this long to finish.</summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(125);
}
