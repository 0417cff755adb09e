using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Execution;

namespace SlmGateway.Host.Hosting;

/// <summary>
/// OpenAI-shaped answers for what the gateway's endpoints did not answer themselves: an exception
/// nothing handled, and error statuses the framework sets without a body (404 for an unknown URL,
/// 405 for a wrong method).
/// </summary>
internal static class FallbackErrors
{
    public static Task WriteUnhandledAsync(HttpContext context)
    {
        context.Response.Clear();
        return ErrorWriter.WriteAsync(context.Response, new GatewayError(500, new OpenAiError(
            $"The gateway failed to handle the request (request id {context.TraceIdentifier}).", ErrorTypes.Server, null, "internal_error")));
    }

    /// <summary>An error status with nothing written yet: no body, no length, no content type.</summary>
    public static bool LacksBody(HttpResponse response) =>
        !response.HasStarted
        && response.StatusCode is >= 400 and < 600
        && response.ContentLength is null
        && string.IsNullOrEmpty(response.ContentType);

    public static Task WriteStatusAsync(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var error = status switch
        {
            404 => new GatewayError(404, new OpenAiError($"Unknown request URL: {context.Request.Method} {context.Request.Path}.", ErrorTypes.InvalidRequest, null, "unknown_url")),
            405 => new GatewayError(405, new OpenAiError($"Method {context.Request.Method} is not allowed on {context.Request.Path}.", ErrorTypes.InvalidRequest, null, "method_not_allowed")),
            _ => new GatewayError(status, new OpenAiError($"The request failed with HTTP {status}.", status >= 500 ? ErrorTypes.Server : ErrorTypes.InvalidRequest, null, null)),
        };
        return ErrorWriter.WriteAsync(context.Response, error);
    }
}
