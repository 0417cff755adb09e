using System.Diagnostics;
using SlmGateway.Core.Execution;
using SlmGateway.Host.Diagnostics;
using SlmGateway.Host.Logging;

namespace SlmGateway.Host.Hosting;

/// <summary>
/// The outermost layer of every request, in one asynchronous step: the request's trace and the
/// answer headers it fills in, the limits on the request line and headers, OpenAI-shaped answers for
/// an unhandled exception and for bodiless error statuses (<see cref="FallbackErrors"/>), then the
/// request-completion log event and metrics. These were six layers (the framework's exception and
/// status-code pages among them); each asynchronous layer costs every request a state machine and a
/// continuation.
/// </summary>
internal sealed class RequestEnvelope(RequestDelegate next, RequestCompletionLog log, RequestMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        var trace = StartTrace(context);
        Exception? failure = null;
        try
        {
            if (RequestHeadLimits.Check(context.Request) is { } tooLarge)
            {
                await ErrorWriter.WriteAsync(context.Response, tooLarge);
            }
            else
            {
                await next(context);
            }

            if (FallbackErrors.LacksBody(context.Response))
            {
                await FallbackErrors.WriteStatusAsync(context);
            }
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left and took the request with it; there is no one to answer.
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status499ClientClosedRequest;
            }
        }
        catch (Exception ex) when (!context.Response.HasStarted)
        {
            failure = ex;
            await FallbackErrors.WriteUnhandledAsync(context);
        }
        catch (Exception ex)
        {
            failure = ex;
            throw;
        }
        finally
        {
            var elapsed = Stopwatch.GetElapsedTime(started);
            log.Write(context, trace, elapsed, failure);
            metrics.Record(context, trace, elapsed);
        }
    }

    private static RequestTrace StartTrace(HttpContext context)
    {
        var trace = new RequestTrace();
        context.Features.Set(trace);
        context.Response.OnStarting(
            static state =>
            {
                var (ctx, t) = ((HttpContext, RequestTrace))state;
                ctx.Response.Headers[GatewayHeaders.RequestId] = ctx.TraceIdentifier;
                if (t.Route is not null)
                {
                    ctx.Response.Headers[GatewayHeaders.Route] = t.Route;
                }

                if (t.Reason is not null)
                {
                    ctx.Response.Headers[GatewayHeaders.Reason] = t.Reason;
                }

                if (t.Model is not null)
                {
                    ctx.Response.Headers[GatewayHeaders.Model] = t.Model;
                }

                return Task.CompletedTask;
            },
            (context, trace));
        return trace;
    }
}
