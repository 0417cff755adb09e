using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using SlmGateway.Backends.Remote.Upstreams;
using SlmGateway.Core.Execution;
using Yarp.ReverseProxy.Forwarder;

namespace SlmGateway.Backends.Remote.Forwarding;

/// <summary>
/// Shapes one attempt: swaps the client's credentials for the upstream's, points the request at
/// the upstream's URL, and holds back 429/5xx answers (headers and body) so they can be retried.
/// </summary>
internal sealed class UpstreamTransformer : HttpTransformer
{
    private const int MaxHeldErrorBytes = 64 * 1024;

    private static readonly string[] ClientOnlyHeaders =
    [
        HeaderNames.Authorization, "api-key", "x-api-key", HeaderNames.Cookie, HeaderNames.Expect,
        HeaderNames.TransferEncoding, "x-slmgw-route", "x-slmgw-upstream", "x-slmgw-model",
    ];

    private readonly Upstream _upstream;
    private readonly string _pathSuffix;
    private readonly CancellationTokenSource _timeouts;
    private readonly long _startedAt;

    public UpstreamTransformer(Upstream upstream, string pathSuffix, CancellationTokenSource timeouts, long startedAt)
    {
        _upstream = upstream;
        _pathSuffix = pathSuffix;
        _timeouts = timeouts;
        _startedAt = startedAt;
    }

    public bool HeadersReceived { get; private set; }

    /// <summary>A held-back retryable answer: its status, Retry-After and (bounded) body.</summary>
    public AttemptHold? Held { get; private set; }

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        foreach (var header in ClientOnlyHeaders)
        {
            proxyRequest.Headers.Remove(header);
        }

        if (_upstream.Authorization is { } authorization)
        {
            proxyRequest.Headers.TryAddWithoutValidation(HeaderNames.Authorization, authorization);
        }

        foreach (var (name, value) in _upstream.Options.Headers)
        {
            proxyRequest.Headers.Remove(name);
            proxyRequest.Headers.TryAddWithoutValidation(name, value);
        }

        proxyRequest.RequestUri = new Uri(_upstream.BaseUrl + _pathSuffix + httpContext.Request.QueryString.Value, UriKind.Absolute);
    }

    public override async ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is null)
        {
            return await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        }

        HeadersReceived = true;
        var remaining = _upstream.Options.Timeouts.Total - Stopwatch.GetElapsedTime(_startedAt);
        _timeouts.CancelAfter(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero);

        var status = (int)proxyResponse.StatusCode;
        if (status == StatusCodes.Status429TooManyRequests || status >= 500)
        {
            Held = new AttemptHold(
                status,
                RetryAfterOf(proxyResponse.Headers.RetryAfter),
                await ReadBoundedAsync(proxyResponse.Content, cancellationToken),
                proxyResponse.Content.Headers.ContentType?.ToString());
            return false;
        }

        var copy = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        httpContext.Response.Headers[GatewayHeaders.Upstream] = _upstream.Name;
        return copy;
    }

    private static TimeSpan? RetryAfterOf(RetryConditionHeaderValue? retryAfter)
    {
        if (retryAfter?.Delta is { } delta)
        {
            return delta;
        }

        return retryAfter?.Date is { } date ? (date - DateTimeOffset.UtcNow) is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero : null;
    }

    private static async Task<byte[]?> ReadBoundedAsync(HttpContent content, CancellationToken cancellationToken)
    {
        try
        {
            await using var stream = await content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[MaxHeldErrorBytes];
            var length = 0;
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken)) > 0)
            {
                length += read;
            }

            return buffer[..length];
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            return null;
        }
    }
}

/// <summary>A 429 or 5xx answer held back from the client.</summary>
internal sealed record AttemptHold(int StatusCode, TimeSpan? RetryAfter, byte[]? Body, string? ContentType);
