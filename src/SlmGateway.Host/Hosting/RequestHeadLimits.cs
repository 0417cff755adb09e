using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using SlmGateway.Contracts.Errors;

namespace SlmGateway.Host.Hosting;

/// <summary>
/// Limits on the request line and headers, answered with OpenAI-shaped 414 and 431 errors. Kestrel
/// enforces its own limits before the application sees a request and answers them with an empty
/// body; its limits are set four times higher, so that what clients actually send past these limits
/// reaches the gateway and gets a readable error.
/// </summary>
internal static class RequestHeadLimits
{
    public const int MaxRequestLineBytes = 8 * 1024;
    public const int MaxHeaderBytes = 32 * 1024;
    public const int MaxHeaderCount = 100;
    private const int KestrelFactor = 4;

    public static void ConfigureKestrel(KestrelServerOptions options)
    {
        options.Limits.MaxRequestLineSize = KestrelFactor * MaxRequestLineBytes;
        options.Limits.MaxRequestHeadersTotalSize = KestrelFactor * MaxHeaderBytes;
        options.Limits.MaxRequestHeaderCount = KestrelFactor * MaxHeaderCount;
    }

    /// <summary>The 414 or 431 a request's line or headers deserve; null when they are within the limits.</summary>
    public static GatewayError? Check(HttpRequest request)
    {
        var target = request.HttpContext.Features.Get<IHttpRequestFeature>()?.RawTarget ?? request.Path.Value ?? string.Empty;
        if (request.Method.Length + target.Length + request.Protocol.Length + 4 > MaxRequestLineBytes)
        {
            return new GatewayError(414, new OpenAiError(
                $"The request line is longer than {MaxRequestLineBytes} bytes.", ErrorTypes.InvalidRequest, null, "uri_too_long"));
        }

        return request.Headers.Count > MaxHeaderCount || HeaderBytes(request.Headers) > MaxHeaderBytes
            ? new GatewayError(431, new OpenAiError(
                $"The request has more than {MaxHeaderCount} headers or more than {MaxHeaderBytes} bytes of them.", ErrorTypes.InvalidRequest, null, "headers_too_large"))
            : null;
    }

    private static int HeaderBytes(IHeaderDictionary headers)
    {
        var total = 0;
        foreach (var (name, values) in headers)
        {
            foreach (var value in values)
            {
                total += name.Length + (value?.Length ?? 0) + 4;
            }
        }

        return total;
    }
}
