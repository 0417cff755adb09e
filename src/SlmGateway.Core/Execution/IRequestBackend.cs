using Microsoft.AspNetCore.Http;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Routing;

namespace SlmGateway.Core.Execution;

/// <summary>
/// Where work runs. A backend serves a request onto the HTTP response itself; the caller may try
/// another backend only while the outcome says nothing was committed to the client.
/// </summary>
public interface IRequestBackend
{
    ValueTask<BackendOutcome> ServeAsync(GatewayRequest request, ModelRoute route, HttpContext context);
}

/// <summary>What a backend did: committed a response, or failed before committing with an error to answer.</summary>
public readonly record struct BackendOutcome(bool Committed, string? Target, GatewayError? Error, TimeSpan? RetryAfter = null)
{
    public static BackendOutcome Served(string target) => new(true, target, null);

    public static BackendOutcome Failed(GatewayError error, string? target, TimeSpan? retryAfter = null) =>
        new(false, target, error, retryAfter);
}
