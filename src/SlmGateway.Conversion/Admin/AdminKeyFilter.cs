using System.Data.Common;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Configuration;

namespace SlmGateway.Conversion.Admin;

/// <summary>
/// Lets a request into the admin API only with an admin key (<c>Authorization: Bearer KEY</c>),
/// compared by SHA-256 in constant time. With no admin keys configured the admin API is off (403).
/// A trace store that cannot be reached is a 503, not an unhandled error.
/// </summary>
internal sealed class AdminKeyFilter(IOptionsMonitor<AuthOptions> auth) : IEndpointFilter
{
    private const string BearerPrefix = "Bearer ";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var keys = auth.CurrentValue.AdminKeys;
        if (keys.Count == 0)
        {
            return AdminResults.Error(GatewayError.Forbidden("The admin API is off: configure SlmGateway:Auth:AdminKeys.", null));
        }

        var header = context.HttpContext.Request.Headers[HeaderNames.Authorization].ToString();
        if (!header.StartsWith(BearerPrefix, StringComparison.OrdinalIgnoreCase) || header.Length == BearerPrefix.Length)
        {
            return AdminResults.Error(GatewayError.Unauthorized("The admin API needs an admin key: 'Authorization: Bearer ADMIN_KEY'."));
        }

        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[BearerPrefix.Length..].Trim()));
        var known = keys.Any(k => k.Sha256.Length == 64 && CryptographicOperations.FixedTimeEquals(presented, Convert.FromHexString(k.Sha256)));
        if (!known)
        {
            return AdminResults.Error(GatewayError.Unauthorized("Incorrect admin key provided."));
        }

        try
        {
            return await next(context);
        }
        catch (DbException ex)
        {
            return AdminResults.Error(new GatewayError(StatusCodes.Status503ServiceUnavailable,
                new OpenAiError($"The trace store is unavailable: {ex.Message}", ErrorTypes.Server, null, "store_unavailable")));
        }
    }
}
