namespace SlmGateway.Core.Configuration;

/// <summary>Process-wide settings of the front door, bound from <c>SlmGateway</c>.</summary>
public sealed class GatewayOptions
{
    public const string Section = "SlmGateway";

    /// <summary>Requests with a larger body are refused with 413 before they are parsed.</summary>
    public long MaxRequestBodyBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Extra public names for served models: alias → model name.</summary>
    public Dictionary<string, string> Aliases { get; set; } = new(StringComparer.Ordinal);
}
