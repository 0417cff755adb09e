namespace SlmGateway.Contracts.Errors;

/// <summary>An error with the HTTP status it is answered with.</summary>
public sealed record GatewayError(int StatusCode, OpenAiError Error)
{
    public static GatewayError InvalidRequest(string message, string? param = null, string? code = null) =>
        new(400, new OpenAiError(message, ErrorTypes.InvalidRequest, param, code));

    public static GatewayError ModelNotFound(string model) =>
        new(404, new OpenAiError($"The model '{model}' does not exist or is not served by this gateway.", ErrorTypes.InvalidRequest, "model", "model_not_found"));

    public static GatewayError Unauthorized(string message) =>
        new(401, new OpenAiError(message, ErrorTypes.Authentication, null, "invalid_api_key"));

    public static GatewayError RateLimited(string message) =>
        new(429, new OpenAiError(message, ErrorTypes.RateLimit, null, "rate_limit_exceeded"));

    /// <summary>A client key has spent its budget (as OpenAI answers an exhausted quota).</summary>
    public static GatewayError BudgetExceeded(string message) =>
        new(429, new OpenAiError(message, ErrorTypes.InsufficientQuota, null, "insufficient_quota"));

    public static GatewayError PayloadTooLarge(long limit) =>
        new(413, new OpenAiError($"The request body is larger than the limit of {limit} bytes.", ErrorTypes.InvalidRequest, null, "request_too_large"));

    public static GatewayError UnsupportedMediaType(string? contentType) =>
        new(415, new OpenAiError($"Content-Type must be application/json, not '{contentType ?? "(none)"}'.", ErrorTypes.InvalidRequest, null, "unsupported_media_type"));

    /// <summary>A local model's queue is full: the router spills such a request to remote where it can.</summary>
    public static GatewayError ModelOverloaded(string model) =>
        new(429, new OpenAiError($"The local model '{model}' is at capacity and its queue is full; retry shortly.", ErrorTypes.RateLimit, null, OverloadedCode));

    public const string OverloadedCode = "model_overloaded";

    /// <summary>A local answer failed validation; the router sends the request to the remote model instead.</summary>
    public static GatewayError LocalAnswerRejected(string reason) =>
        new(502, new OpenAiError($"The local answer was rejected: {reason}.", ErrorTypes.Upstream, null, RejectedCode));

    public const string RejectedCode = "local_answer_rejected";

    public static GatewayError Forbidden(string message, string? param) =>
        new(403, new OpenAiError(message, ErrorTypes.Permission, param, "permission_denied"));

    public static GatewayError BadGateway(string message) =>
        new(502, new OpenAiError(message, ErrorTypes.Upstream, null, "upstream_error"));

    public static GatewayError GatewayTimeout(string message) =>
        new(504, new OpenAiError(message, ErrorTypes.Upstream, null, "upstream_timeout"));

    public static GatewayError Unavailable(string message) =>
        new(503, new OpenAiError(message, ErrorTypes.Upstream, null, "service_unavailable"));
}
