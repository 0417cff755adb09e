namespace SlmGateway.Core.Execution;

/// <summary>Response headers through which the gateway tells the client where its request went.</summary>
public static class GatewayHeaders
{
    public const string Route = "x-slmgw-route";
    public const string Reason = "x-slmgw-reason";
    public const string Upstream = "x-slmgw-upstream";
    public const string Model = "x-slmgw-model";
    public const string RequestId = "x-slmgw-request-id";

    /// <summary>On locally served non-streamed answers: mean and minimum token log-probability.</summary>
    public const string Confidence = "x-slmgw-confidence";
}
