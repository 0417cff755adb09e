using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Polly.CircuitBreaker;
using SlmGateway.Backends.Remote.Forwarding;
using SlmGateway.Backends.Remote.Resilience;
using SlmGateway.Backends.Remote.Upstreams;
using SlmGateway.Backends.Remote.Usage;
using SlmGateway.Contracts.Errors;
using SlmGateway.Contracts.Serialization;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace SlmGateway.Backends.Remote;

/// <summary>
/// Serves a request from the remote LLM: each upstream of the route in order, each through its own
/// retry and circuit-breaker pipeline, moving on only while nothing has reached the client.
/// </summary>
internal sealed class RemoteBackend(IHttpForwarder forwarder, UpstreamRegistry registry) : IRequestBackend
{
    public async ValueTask<BackendOutcome> ServeAsync(GatewayRequest request, ModelRoute route, HttpContext context)
    {
        var body = context.Response.Body;
        var filter = StreamUsage.ShouldAsk(request) ? new UsageChunkFilterStream(body) : null;
        var tail = new UsageTailStream(filter ?? body);
        context.Response.Body = tail;
        try
        {
            return await ServeThroughAsync(filter is null ? request : request with { Body = StreamUsage.Ask(request.Body) }, route, context);
        }
        finally
        {
            if (filter is not null && !context.RequestAborted.IsCancellationRequested)
            {
                await filter.CompleteAsync();
            }

            context.Response.Body = body;
            if (context.Features.Get<RequestTrace>() is { } trace && tail.ReadUsage() is { Input: not null } usage)
            {
                (trace.InputTokens, trace.OutputTokens) = (usage.Input, usage.Output);
            }
        }
    }

    private async ValueTask<BackendOutcome> ServeThroughAsync(GatewayRequest request, ModelRoute route, HttpContext context)
    {
        var trace = context.Features.Get<RequestTrace>();
        var pathSuffix = PathSuffixOf(request.Endpoint);
        GatewayError? lastError = null;
        TimeSpan? lastRetryAfter = null;
        string? lastUpstream = null;

        foreach (var target in route.Remote)
        {
            if (registry.Find(target.Upstream) is not { } upstream)
            {
                continue;
            }

            lastUpstream = upstream.Name;
            if (trace is not null)
            {
                trace.Upstream = upstream.Name;
            }

            var body = target.UpstreamModel == request.Model ? request.Body : ModelFieldRewriter.Rewrite(request.Body, target.UpstreamModel);
            var state = new AttemptState(forwarder, context, upstream, body, pathSuffix, request.Stream, trace);
            AttemptResult result;
            try
            {
                result = await upstream.Pipeline.ExecuteAsync(
                    static (s, _) =>
                    {
                        if (s.Trace is not null)
                        {
                            s.Trace.Attempts++;
                        }

                        return ForwardAttempt.RunAsync(s.Forwarder, s.Context, s.Upstream, s.Body, s.PathSuffix, s.Stream);
                    },
                    state,
                    context.RequestAborted);
            }
            catch (BrokenCircuitException ex)
            {
                lastError = GatewayError.Unavailable($"The upstream '{upstream.Name}' is failing and its circuit is open; try again later.");
                lastRetryAfter = ex.RetryAfter ?? upstream.Options.Breaker.BreakDuration;
                continue;
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return BackendOutcome.Served(upstream.Name);
            }

            if (result.Committed || result.Kind == AttemptKind.ClientCanceled)
            {
                return BackendOutcome.Served(upstream.Name);
            }

            (lastError, lastRetryAfter) = (ErrorOf(result, upstream.Name), result.RetryAfter);
        }

        return BackendOutcome.Failed(
            lastError ?? GatewayError.Unavailable($"No upstream is configured for the model '{route.Model}'."),
            lastUpstream,
            lastRetryAfter);
    }

    private static string PathSuffixOf(ApiEndpoint endpoint) => endpoint switch
    {
        ApiEndpoint.ChatCompletions => "/chat/completions",
        ApiEndpoint.Completions => "/completions",
        ApiEndpoint.Embeddings => "/embeddings",
        ApiEndpoint.Responses => "/responses",
        _ => throw new ArgumentOutOfRangeException(nameof(endpoint), endpoint, null),
    };

    private static GatewayError ErrorOf(AttemptResult result, string upstream)
    {
        var upstreamError = ParseOpenAiError(result.ErrorBody);
        return result.Kind switch
        {
            AttemptKind.TimedOut => GatewayError.GatewayTimeout($"The upstream '{upstream}' did not answer in time."),
            AttemptKind.ConnectionFailed => GatewayError.BadGateway($"The upstream '{upstream}' could not be reached."),
            AttemptKind.RetryableStatus when result.StatusCode == StatusCodes.Status429TooManyRequests =>
                new GatewayError(429, upstreamError ?? new OpenAiError($"The upstream '{upstream}' is rate limiting requests.", ErrorTypes.RateLimit, null, "rate_limit_exceeded")),
            _ => GatewayError.BadGateway(
                $"The upstream '{upstream}' failed with HTTP {result.StatusCode}" + (upstreamError is null ? "." : $": {upstreamError.Message}")),
        };
    }

    private static OpenAiError? ParseOpenAiError(byte[]? body)
    {
        if (body is not { Length: > 0 })
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(body, WireJsonContext.Default.OpenAiErrorEnvelope)?.Error;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private sealed record AttemptState(
        IHttpForwarder Forwarder, HttpContext Context, Upstream Upstream, ReadOnlyMemory<byte> Body, string PathSuffix, bool Stream, RequestTrace? Trace);
}
