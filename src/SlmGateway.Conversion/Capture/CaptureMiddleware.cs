using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using SlmGateway.Core.Configuration;
using SlmGateway.Core.Execution;

namespace SlmGateway.Conversion.Capture;

/// <summary>
/// Captures chat completions where capture is on (globally or for the client's key), a share of
/// them when <c>SampleRate</c> is below 1, and at most <c>MaxCallsPerSecond</c>: keeps a copy
/// of the response as it passes and hands the call to the capture queue when it is done. Nothing
/// here waits on the store.
/// </summary>
public sealed class CaptureMiddleware(
    RequestDelegate next, IOptionsMonitor<LoopOptions> options, IOptionsMonitor<AuthOptions> auth, IOptionsMonitor<RemoteOptions> remote, CaptureQueue queue, CaptureRate rate)
{
    private const string CapturedPath = "/v1/chat/completions";

    public Task InvokeAsync(HttpContext context)
    {
        var capture = options.CurrentValue.Capture;
        var trace = context.Features.Get<RequestTrace>();
        if (!HttpMethods.IsPost(context.Request.Method) || !IsChatCompletions(context.Request.Path) || !IsOn(capture, trace?.ClientKeyId))
        {
            return next(context);
        }

        if ((capture.SampleRate < 1 && Random.Shared.NextDouble() >= capture.SampleRate) || !rate.TryTake(capture.MaxCallsPerSecond))
        {
            queue.SampledOut();
            return next(context);
        }

        return CaptureAsync(context, capture, trace);
    }

    private async Task CaptureAsync(HttpContext context, CaptureOptions capture, RequestTrace? trace)
    {
        var started = Stopwatch.GetTimestamp();
        var feature = new CaptureFeature(capture.MaxBodyBytes);
        context.Features.Set(feature);
        var body = context.Features.GetRequiredFeature<IHttpResponseBodyFeature>();
        var tee = new ResponseTeeStream(body.Stream, capture.MaxBodyBytes);
        var teeBody = new StreamResponseBodyFeature(tee, body);
        context.Features.Set<IHttpResponseBodyFeature>(teeBody);
        try
        {
            await next(context);
            await teeBody.CompleteAsync();
        }
        finally
        {
            context.Features.Set(body);
            if (feature.Accepted)
            {
                queue.Add(Call(context, trace, feature.Request, tee, Stopwatch.GetElapsedTime(started)) with { Chat = feature.Chat, AllowTraining = AllowsTraining(trace) });
            }
        }
    }

    /// <summary>The path as routing matches it: any letter case, with or without a trailing slash.</summary>
    private static bool IsChatCompletions(PathString path) =>
        path.Value.AsSpan().TrimEnd('/').Equals(CapturedPath, StringComparison.OrdinalIgnoreCase);

    /// <summary>The client key and the upstream that answered (none for a local answer) both allow training on the call.</summary>
    private bool AllowsTraining(RequestTrace? trace)
    {
        var key = trace?.ClientKeyId is { } id ? auth.CurrentValue.Keys.Find(k => k.Id == id) : null;
        var upstream = trace?.Upstream is { } name ? remote.CurrentValue.Upstreams.Find(u => string.Equals(u.Name, name, StringComparison.OrdinalIgnoreCase)) : null;
        return (key?.AllowTraining ?? true) && (upstream?.TrainingAllowed ?? true);
    }

    private static bool IsOn(CaptureOptions capture, string? keyId) =>
        keyId is not null && capture.Keys.TryGetValue(keyId, out var on) ? on : capture.Enabled;

    private static CapturedCall Call(HttpContext context, RequestTrace? trace, byte[]? request, ResponseTeeStream tee, TimeSpan elapsed)
    {
        var response = context.Response;
        var readable = !response.Headers.ContentEncoding.Any(e => e is not null && e != "identity");
        return new CapturedCall(
            DateTimeOffset.UtcNow,
            trace?.ClientKeyId,
            trace?.Model,
            trace?.Route,
            trace?.Reason,
            response.StatusCode,
            elapsed.TotalMilliseconds,
            trace?.Final.InputTokens,
            trace?.Final.OutputTokens,
            trace?.Final.ConfidenceMean,
            response.ContentType?.StartsWith("text/event-stream", StringComparison.Ordinal) == true,
            request,
            readable ? tee.Copy : null);
    }
}
