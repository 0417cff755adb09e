using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SlmGateway.Contracts.Chat;
using SlmGateway.Contracts.Serialization;
using Yarp.ReverseProxy.Forwarder;

namespace SlmGateway.Benchmarks.Proxy;

/// <summary>
/// The baselines: YARP's direct forwarder with nothing else in the pipeline; or the same after
/// reading each chat request's body whole into a buffer (<c>read-body</c>), and also parsing it into
/// the gateway's request contract and checking it (<c>read-chat</c>): the least a gateway that routes
/// on a request's content and answers a bad body with a 400 does.
/// </summary>
internal static class BareYarpProxy
{
    public static async Task<int> RunAsync(string[] args)
    {
        var (url, upstream) = (args[0], args[1]);
        var read = args.Length > 2 ? args[2] : null;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        app.MapGet("/healthz", () => "ok");
        if (read is not null)
        {
            var parse = read == "read-chat";
            app.Use((context, next) => ReadBodyAsync(context, next, parse));
        }

        app.MapForwarder("/{**catch-all}", upstream);
        await app.RunAsync();
        return 0;
    }

    /// <summary>The body read into a pooled buffer, parsed and validated when asked, then handed to YARP from that buffer.</summary>
    private static async Task ReadBodyAsync(HttpContext context, RequestDelegate next, bool parse)
    {
        if (!HttpMethods.IsPost(context.Request.Method) || !context.Request.Path.StartsWithSegments("/v1/chat/completions"))
        {
            await next(context);
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent((int)(context.Request.ContentLength ?? 4096));
        try
        {
            var length = 0;
            int read;
            while ((read = await context.Request.Body.ReadAsync(buffer.AsMemory(length))) > 0)
            {
                length += read;
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan().CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            if (parse && !IsValidChat(buffer.AsSpan(0, length)))
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                return;
            }

            context.Request.Body = new MemoryStream(buffer, 0, length, writable: false);
            await next(context);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static bool IsValidChat(ReadOnlySpan<byte> body) =>
        WireParser.TryParse(body, WireJsonContext.Default.ChatCompletionRequest, out var chat, out _)
        && ChatCompletionRequestValidator.Validate(chat!) is null;
}
