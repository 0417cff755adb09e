using Microsoft.AspNetCore.Diagnostics;
using SlmGateway.Contracts.Errors;
using SlmGateway.Conversion.Capture;
using SlmGateway.Core.Execution;
using SlmGateway.Host.Diagnostics;
using SlmGateway.Host.Logging;
using SlmGateway.Host.Security;

namespace SlmGateway.Host.Hosting;

internal static class GatewayPipeline
{
    /// <summary>
    /// Request id and trace, limits on the request line and headers, the request-completion log event and metrics, OpenAI-shaped answers for anything
    /// the framework would otherwise answer itself, then client keys and their rate limits, then capture
    /// (after the key check, so capture can be switched per key).
    /// </summary>
    public static WebApplication UseGatewayPipeline(this WebApplication app)
    {
        app.Use(StartTrace);
        app.Use(RequestHeadLimits.CheckAsync);
        app.UseMiddleware<RequestCompletionLogging>();
        app.UseMiddleware<RequestMetrics>();
        app.UseExceptionHandler(new ExceptionHandlerOptions { ExceptionHandler = WriteUnhandledAsync, StatusCodeSelector = _ => 500 });
        app.UseStatusCodePages(context => WriteStatusCodeAsync(context.HttpContext));
        app.UseMiddleware<ClientKeyMiddleware>();
        app.UseMiddleware<CaptureMiddleware>();
        return app;
    }

    private static Task StartTrace(HttpContext context, RequestDelegate next)
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
        return next(context);
    }

    private static Task WriteUnhandledAsync(HttpContext context) =>
        ErrorWriter.WriteAsync(context.Response, new GatewayError(500, new OpenAiError(
            $"The gateway failed to handle the request (request id {context.TraceIdentifier}).", ErrorTypes.Server, null, "internal_error")));

    private static Task WriteStatusCodeAsync(HttpContext context)
    {
        var status = context.Response.StatusCode;
        var error = status switch
        {
            404 => new GatewayError(404, new OpenAiError($"Unknown request URL: {context.Request.Method} {context.Request.Path}.", ErrorTypes.InvalidRequest, null, "unknown_url")),
            405 => new GatewayError(405, new OpenAiError($"Method {context.Request.Method} is not allowed on {context.Request.Path}.", ErrorTypes.InvalidRequest, null, "method_not_allowed")),
            _ => new GatewayError(status, new OpenAiError($"The request failed with HTTP {status}.", status >= 500 ? ErrorTypes.Server : ErrorTypes.InvalidRequest, null, null)),
        };
        return ErrorWriter.WriteAsync(context.Response, error);
    }
}
