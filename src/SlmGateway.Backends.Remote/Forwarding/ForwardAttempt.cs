using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using SlmGateway.Backends.Remote.Resilience;
using SlmGateway.Backends.Remote.Upstreams;
using SlmGateway.Backends.Remote.Usage;
using SlmGateway.Contracts.Errors;
using SlmGateway.Core.Execution;
using Yarp.ReverseProxy.Forwarder;

namespace SlmGateway.Backends.Remote.Forwarding;

/// <summary>One try at one upstream through YARP's forwarder, classified for the resilience pipeline.</summary>
internal static class ForwardAttempt
{
    private static readonly TimeSpan ErrorEventGrace = TimeSpan.FromMilliseconds(100);

    /// <param name="timeLeft">What is left of the request's answer deadline: the first-byte timeout is cut to it.</param>
    /// <param name="events">
    /// A streamed request's event stream: a break after commit then drops the incomplete event and ends
    /// with an SSE error event. Otherwise YARP's own abort of the client connection is what the client sees.
    /// </param>
    public static async ValueTask<AttemptResult> RunAsync(
        IHttpForwarder forwarder, HttpContext context, Upstream upstream, ReadOnlyMemory<byte> body, string pathSuffix, EventAlignedStream? events, TimeSpan timeLeft)
    {
        var stream = events is not null;
        var response = context.Response;
        response.Clear();

        var timeouts = upstream.Options.Timeouts;
        using var timeoutSource = new CancellationTokenSource(timeLeft < timeouts.FirstByte ? (timeLeft > TimeSpan.Zero ? timeLeft : TimeSpan.FromMilliseconds(1)) : timeouts.FirstByte);
        var transformer = new UpstreamTransformer(upstream, body, pathSuffix, timeoutSource, Stopwatch.GetTimestamp());
        var deferredAbort = stream ? DeferredAbort.Install(context) : null;
        var bodyDetection = BodyAlreadyRead.Install(context);
        ForwarderError error;
        try
        {
            error = await forwarder.SendAsync(context, upstream.BaseUrl, upstream.Invoker, upstream.RequestConfig, transformer, timeoutSource.Token);
        }
        finally
        {
            BodyAlreadyRead.Restore(context, bodyDetection);
            deferredAbort?.Uninstall();
        }

        if (context.RequestAborted.IsCancellationRequested)
        {
            if (deferredAbort is { AbortRequested: true })
            {
                deferredAbort.AbortNow();
            }

            return AttemptResult.ClientGone;
        }

        if (error == ForwarderError.None)
        {
            return transformer.Held is { } held
                ? new AttemptResult(held.Invalid ? AttemptKind.InvalidAnswer : AttemptKind.RetryableStatus, held.StatusCode, held.RetryAfter, held.Body, held.ContentType)
                : new AttemptResult(AttemptKind.Served, response.StatusCode);
        }

        // With the client still there, a cancelled copy was cancelled by a timeout: ours, or YARP's idle
        // (activity) timeout, which YARP reports under the side it was copying to or from.
        var timedOut = timeoutSource.IsCancellationRequested || error is ForwarderError.RequestTimedOut or ForwarderError.ResponseBodyCanceled
            || context.Features.Get<IForwarderErrorFeature>()?.Exception is OperationCanceledException;
        if (response.HasStarted)
        {
            if (deferredAbort is not null)
            {
                events!.DiscardIncompleteEvent();
                await EndCommittedResponseAsync(response, deferredAbort, upstream.Name, timedOut);
            }

            return new AttemptResult(AttemptKind.FailedAfterCommit, response.StatusCode);
        }

        response.Clear();
        return new AttemptResult(timedOut ? AttemptKind.TimedOut : AttemptKind.ConnectionFailed, timedOut ? 504 : 502);
    }

    private static async Task EndCommittedResponseAsync(HttpResponse response, DeferredAbort deferredAbort, string upstream, bool timedOut)
    {
        var isEventStream = response.ContentType?.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase) == true;
        if (!isEventStream)
        {
            deferredAbort.AbortNow();
            return;
        }

        var message = timedOut
            ? $"The upstream '{upstream}' timed out in the middle of the stream; the response is incomplete."
            : $"The upstream '{upstream}' broke off the stream; the response is incomplete.";
        try
        {
            await ErrorWriter.WriteSseEventAsync(response, new OpenAiError(message, ErrorTypes.Upstream, null, timedOut ? "upstream_timeout" : "upstream_stream_broken"));
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
        {
            // The client is gone as well; the abort below is all that is left to do.
        }

        // Clients that skip error events (the .NET SDK does) must still not see a clean end, so the
        // connection is cut; Kestrel has no "sent" signal, so the event gets a moment to leave first.
        await Task.Delay(ErrorEventGrace);
        deferredAbort.AbortNow();
    }
}
