using System.Threading.RateLimiting;
using Microsoft.Net.Http.Headers;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Execution;

namespace SlmGateway.Host.Security;

/// <summary>
/// Requires a configured client key on the OpenAI API (<c>/v1</c>) when any keys are configured
/// (<c>Authorization: Bearer KEY</c> or <c>api-key: KEY</c>) and applies the key's rate limit:
/// one fixed one-minute window of <c>RequestsPerMinute</c>. Health endpoints stay open.
/// </summary>
internal sealed class ClientKeyMiddleware(RequestDelegate next, ClientKeyStore keys)
{
    private const string BearerPrefix = "Bearer ";

    public Task InvokeAsync(HttpContext context)
    {
        if (!keys.IsEnabled || !context.Request.Path.StartsWithSegments("/v1"))
        {
            return next(context);
        }

        var presented = PresentedKey(context.Request.Headers);
        if (presented is null)
        {
            return ErrorWriter.WriteAsync(context.Response, GatewayError.Unauthorized(
                "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'."));
        }

        var key = keys.Find(presented);
        if (key is null)
        {
            return ErrorWriter.WriteAsync(context.Response, GatewayError.Unauthorized("Incorrect API key provided."));
        }

        if (context.Features.Get<RequestTrace>() is { } trace)
        {
            trace.ClientKeyId = key.Id;
        }

        if (key.Limiter is { } limiter)
        {
            using var lease = limiter.AttemptAcquire();
            if (!lease.IsAcquired)
            {
                var retryAfter = lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
                return ErrorWriter.WriteAsync(
                    context.Response,
                    GatewayError.RateLimited($"Rate limit reached for key '{key.Id}'; retry after the time in the Retry-After header."),
                    retryAfter);
            }
        }

        return next(context);
    }

    private static string? PresentedKey(IHeaderDictionary headers)
    {
        var authorization = headers[HeaderNames.Authorization].ToString();
        if (authorization.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var token = authorization[BearerPrefix.Length..].Trim();
            return token.Length == 0 ? null : token;
        }

        var apiKey = headers["api-key"].ToString();
        return apiKey.Length == 0 ? null : apiKey;
    }
}
