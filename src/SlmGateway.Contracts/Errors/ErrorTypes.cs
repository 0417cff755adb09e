namespace SlmGateway.Contracts.Errors;

/// <summary>The <c>error.type</c> values OpenAI uses, and the gateway's own for upstream failures.</summary>
public static class ErrorTypes
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string Permission = "permission_error";
    public const string RateLimit = "rate_limit_error";
    public const string InsufficientQuota = "insufficient_quota";
    public const string Upstream = "upstream_error";
    public const string Server = "server_error";
}
