using System.Collections.Frozen;
using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using SlmGateway.Backends.Remote.Upstreams;
using SlmGateway.Core.Execution;
using Yarp.ReverseProxy.Forwarder;

namespace SlmGateway.Backends.Remote.Forwarding;

/// <summary>
/// Shapes one attempt: forwards only an allow-list of the client's headers (never its credentials,
/// <c>Host</c>, cookies, or OpenAI organisation and project, which belong with the operator's key),
/// adds the upstream's key and headers, points the request at the upstream's URL (whose host is then
/// also <c>Host</c> and the TLS server name), and holds back 429/5xx answers (headers and body, the
/// upstream's secrets masked) so they can be retried. The body is the bytes the gateway already read
/// (<see cref="BufferedBodyHandler"/> sends them).
/// </summary>
internal sealed class UpstreamTransformer : HttpTransformer
{
    private const int MaxHeldErrorBytes = 64 * 1024;

    private static readonly FrozenSet<string> ForwardedHeaders = new[]
    {
        HeaderNames.Accept, HeaderNames.UserAgent, "OpenAI-Beta", "Idempotency-Key", "traceparent", "tracestate",
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    // Content-Length is the sent body's own (the gateway may have rewritten it).
    private static readonly FrozenSet<string> ForwardedContentHeaders = new[]
    {
        HeaderNames.ContentType,
    }.ToFrozenSet(StringComparer.OrdinalIgnoreCase);

    // The OpenAI SDKs describe themselves in X-Stainless-* headers (language, version, retry count).
    private const string SdkHeaderPrefix = "X-Stainless-";

    private readonly Upstream _upstream;
    private readonly ReadOnlyMemory<byte> _body;
    private readonly string _pathSuffix;
    private readonly CancellationTokenSource _timeouts;
    private readonly long _startedAt;

    public UpstreamTransformer(Upstream upstream, ReadOnlyMemory<byte> body, string pathSuffix, CancellationTokenSource timeouts, long startedAt)
    {
        _upstream = upstream;
        _body = body;
        _pathSuffix = pathSuffix;
        _timeouts = timeouts;
        _startedAt = startedAt;
    }

    public bool HeadersReceived { get; private set; }

    /// <summary>A held-back retryable answer: its status, Retry-After and (bounded) body.</summary>
    public AttemptHold? Held { get; private set; }

    /// <summary>
    /// Copies only the allowed headers (YARP's default copies all of them and adds X-Forwarded-*,
    /// which would all be removed again), then adds the upstream's key and headers.
    /// </summary>
    public override ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        var content = new ReadOnlyMemoryContent(_body);
        proxyRequest.Options.Set(BufferedBodyHandler.Body, content);
        foreach (var (name, values) in httpContext.Request.Headers)
        {
            HttpHeaders? to = ForwardedContentHeaders.Contains(name) ? content.Headers
                : ForwardedHeaders.Contains(name) || name.StartsWith(SdkHeaderPrefix, StringComparison.OrdinalIgnoreCase) ? proxyRequest.Headers
                : null;
            if (to is not null && values.Count == 1)
            {
                to.TryAddWithoutValidation(name, values.ToString());
            }
            else
            {
                to?.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
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

        var query = httpContext.Request.QueryString.Value;
        proxyRequest.RequestUri = string.IsNullOrEmpty(query)
            ? _upstream.AddressOf(_pathSuffix)
            : new Uri(_upstream.BaseUrl + _pathSuffix + query, UriKind.Absolute);
        return ValueTask.CompletedTask;
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
        var contentType = proxyResponse.Content.Headers.ContentType?.MediaType;
        if (status is >= 300 and < 400 || (status is >= 200 and < 300 && !IsOpenAiContentType(contentType)))
        {
            Held = new AttemptHold(status, null, null, contentType) { Invalid = true };
            return false;
        }

        if (status == StatusCodes.Status429TooManyRequests || status >= 500)
        {
            var body = await ReadBoundedAsync(proxyResponse.Content, cancellationToken);
            if (body is not null)
            {
                _upstream.Secrets.Mask(body);
            }

            Held = new AttemptHold(status, RetryAfterOf(proxyResponse.Headers.RetryAfter), body, proxyResponse.Content.Headers.ContentType?.ToString());
            return false;
        }

        var copy = await base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
        httpContext.Response.Headers[GatewayHeaders.Upstream] = _upstream.Name;
        return copy;
    }

    /// <summary>JSON (any <c>+json</c> too) or an event stream; an answer without a content type is given the benefit of the doubt.</summary>
    private static bool IsOpenAiContentType(string? mediaType) =>
        mediaType is null
        || mediaType.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase)
        || mediaType.Equals("application/x-ndjson", StringComparison.OrdinalIgnoreCase);

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

/// <summary>A 429 or 5xx answer held back from the client, or an answer no client can take (<see cref="Invalid"/>).</summary>
internal sealed record AttemptHold(int StatusCode, TimeSpan? RetryAfter, byte[]? Body, string? ContentType)
{
    public bool Invalid { get; init; }
}
