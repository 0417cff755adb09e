using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Http;
using Polly.CircuitBreaker;
using SlmGateway.Backends.Remote.Forwarding;
using SlmGateway.Backends.Remote.Resilience;
using SlmGateway.Backends.Remote.Upstreams;
using SlmGateway.Backends.Remote.Usage;
using SlmGateway.Contracts.Errors;
using SlmGateway.Contracts.Serialization;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;
using SlmGateway.Core.Routing;
using Yarp.ReverseProxy.Forwarder;

namespace SlmGateway.Backends.Remote;

/// <summary>
/// Serves a request from the remote LLM: each upstream of the route in order, each through its own
/// retry and circuit-breaker pipeline, moving on only while nothing has reached the client.
/// </summary>
internal sealed class RemoteBackend(IHttpForwarder forwarder, UpstreamRegistry registry, IOptionsMonitor<RemoteOptions> options) : IRequestBackend
{
    public async ValueTask<BackendOutcome> ServeAsync(GatewayRequest request, ModelRoute route, RouteCandidate candidate, HttpContext context)
    {
        var body = context.Response.Body;
        var askForUsage = StreamUsage.ShouldAsk(request);
        var events = request.Stream ? new EventAlignedStream(body, askForUsage) : null;
        using var tail = new UsageTailStream(events ?? body);
        var masked = SecretsOf(route) is { } mask ? new SecretMaskStream(tail, mask) : null;
        context.Response.Body = (Stream?)masked ?? tail;
        BackendOutcome outcome;
        try
        {
            outcome = await ServeThroughAsync(askForUsage ? request with { Body = StreamUsage.Ask(request.Body) } : request, route, candidate, context, events);
        }
        finally
        {
            if (!context.RequestAborted.IsCancellationRequested)
            {
                await CompleteAsync(masked, events);
            }

            context.Response.Body = body;
        }

        return tail.ReadUsage() is { Input: not null } usage
            ? outcome with { Report = outcome.Report with { InputTokens = usage.Input, OutputTokens = usage.Output } }
            : outcome;
    }

    /// <summary>The secrets of the route's upstreams, to keep out of the answer (no list for the usual single upstream).</summary>
    private SecretMask? SecretsOf(ModelRoute route)
    {
        SecretMask? single = null;
        List<SecretMask>? several = null;
        foreach (var target in route.Remote)
        {
            if (registry.Find(target.Upstream)?.Secrets is not { IsEmpty: false } mask)
            {
                continue;
            }

            if (single is null)
            {
                single = mask;
            }
            else
            {
                (several ??= [single]).Add(mask);
            }
        }

        return several is null ? single : SecretMask.Combine(several);
    }

    private static async ValueTask CompleteAsync(SecretMaskStream? masked, EventAlignedStream? events)
    {
        try
        {
            if (masked is not null)
            {
                await masked.CompleteAsync();
            }

            if (events is not null)
            {
                await events.CompleteAsync();
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client left while the last bytes were on their way.
        }
    }

    private async ValueTask<BackendOutcome> ServeThroughAsync(
        GatewayRequest request, ModelRoute route, RouteCandidate candidate, HttpContext context, EventAlignedStream? events)
    {
        var pathSuffix = PathSuffixOf(request.Endpoint);
        GatewayError? lastError = null;
        TimeSpan? lastRetryAfter = null;
        string? lastUpstream = null;
        var answerDeadline = options.CurrentValue.AnswerDeadline;
        var firstTokenFirst = candidate.FirstTokenDeadline is { } firstToken && firstToken < answerDeadline;
        var deadline = firstTokenFirst ? candidate.FirstTokenDeadline!.Value : answerDeadline;
        var tries = 0;
        var deadlineAt = Stopwatch.GetTimestamp() + (long)(deadline.TotalSeconds * Stopwatch.Frequency);
        using var deadlineSource = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        deadlineSource.CancelAfter(deadline);

        foreach (var target in route.Remote)
        {
            if (registry.Find(target.Upstream) is not { } upstream)
            {
                continue;
            }

            if (deadlineSource.IsCancellationRequested)
            {
                return PastDeadline(deadline, firstTokenFirst, lastUpstream, tries);
            }

            lastUpstream = upstream.Name;

            var body = target.UpstreamModel == request.Model ? request.Body : ModelFieldRewriter.Rewrite(request.Body, target.UpstreamModel);
            var state = new AttemptState(forwarder, context, upstream, body, pathSuffix, events, deadlineAt);
            AttemptResult result;
            try
            {
                result = await upstream.Pipeline.ExecuteAsync(
                    static (s, _) =>
                    {
                        var left = TimeSpan.FromSeconds((double)(s.DeadlineAt - Stopwatch.GetTimestamp()) / Stopwatch.Frequency);
                        return s.RememberAsync(ForwardAttempt.RunAsync(s.Forwarder, s.Context, s.Upstream, s.Body, s.PathSuffix, s.Events, left));
                    },
                    state,
                    deadlineSource.Token);
            }
            catch (BrokenCircuitException ex)
            {
                tries += state.Tries;
                lastError = GatewayError.Unavailable($"The upstream '{upstream.Name}' is failing and its circuit is open; try again later.");
                lastRetryAfter = ex.RetryAfter ?? upstream.Options.Breaker.BreakDuration;
                continue;
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                return BackendOutcome.Served(new AttemptReport { Upstream = upstream.Name, UpstreamTries = tries + state.Tries });
            }
            catch (OperationCanceledException) when (deadlineSource.IsCancellationRequested)
            {
                tries += state.Tries;

                // The deadline ended a wait between attempts: the client gets the upstream's last answer (a 429 with its
                // Retry-After, say), unless the deadline is the first-token deadline, which hands over to the next candidate.
                return state.Last is { } last && !firstTokenFirst
                    ? Failure(ErrorOf(last, upstream.Name), upstream.Name, tries, last.RetryAfter)
                    : PastDeadline(deadline, firstTokenFirst, upstream.Name, tries);
            }

            tries += state.Tries;
            if (result.Committed || result.Kind == AttemptKind.ClientCanceled)
            {
                return BackendOutcome.Served(new AttemptReport { Upstream = upstream.Name, UpstreamTries = tries });
            }

            if (firstTokenFirst && result.Kind == AttemptKind.TimedOut && deadlineSource.IsCancellationRequested)
            {
                return PastDeadline(deadline, firstTokenFirst, upstream.Name, tries);
            }

            (lastError, lastRetryAfter) = (ErrorOf(result, upstream.Name), result.RetryAfter);
        }

        return Failure(lastError ?? GatewayError.Unavailable($"No upstream is configured for the model '{route.Model}'."), lastUpstream, tries, lastRetryAfter);
    }

    /// <summary>A failure the next candidate may take over (5xx: the remote path failed), or a refusal that is the answer (a 429, say).</summary>
    private static BackendOutcome Failure(GatewayError error, string? upstream, int tries, TimeSpan? retryAfter) =>
        BackendOutcome.Failed(
            error.StatusCode >= 500 ? FailureKinds.UpstreamFailed : FailureKinds.Refused,
            error,
            new AttemptReport { Upstream = upstream, UpstreamTries = tries },
            retryAfter);

    private static BackendOutcome PastDeadline(TimeSpan deadline, bool firstToken, string? upstream, int tries) =>
        BackendOutcome.Failed(
            firstToken ? FailureKinds.FirstTokenLate : FailureKinds.UpstreamFailed,
            GatewayError.GatewayTimeout(FormattableString.Invariant(
                $"No upstream answered within the {(firstToken ? "first-token" : "answer")} deadline ({deadline.TotalSeconds:0.###} s).")),
            new AttemptReport { Upstream = upstream, UpstreamTries = tries });

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
            AttemptKind.InvalidAnswer => new GatewayError(502, new OpenAiError(
                $"The upstream '{upstream}' answered HTTP {result.StatusCode}" + (result.ErrorContentType is { } type ? $" ({type})" : string.Empty)
                + ", which is not an OpenAI answer (a redirect, or neither JSON nor an event stream).", ErrorTypes.Upstream, null, "upstream_invalid_response")),
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
        IHttpForwarder Forwarder, HttpContext Context, Upstream Upstream, ReadOnlyMemory<byte> Body, string PathSuffix, EventAlignedStream? Events, long DeadlineAt)
    {
        /// <summary>The last attempt's result, for when the deadline cancels the wait before the next one.</summary>
        public AttemptResult? Last { get; private set; }

        /// <summary>Attempts made at this upstream.</summary>
        public int Tries { get; private set; }

        public async ValueTask<AttemptResult> RememberAsync(ValueTask<AttemptResult> attempt)
        {
            Tries++;
            return Last = await attempt;
        }
    }
}
