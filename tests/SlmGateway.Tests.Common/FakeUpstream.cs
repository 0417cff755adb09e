using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace SlmGateway.Tests.Common;

/// <summary>
/// An OpenAI-compatible server on loopback that answers like a provider by default and can be
/// told to fail in any way a test needs (status codes, delays, broken streams).
/// </summary>
public sealed class FakeUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _requestCount;

    private FakeUpstream(WebApplication app, string address)
    {
        _app = app;
        Address = address;
    }

    /// <summary>Scheme, host and port, for example http://127.0.0.1:5001.</summary>
    public string Address { get; }

    /// <summary>The base URL a client or gateway is configured with (<c>Address + "/v1"</c>).</summary>
    public string BaseUrl => Address + "/v1";

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    public int RequestCount => Volatile.Read(ref _requestCount);

    /// <summary>Replaces the default behaviour; the argument is the 1-based number of the request.</summary>
    public Func<HttpContext, RecordedRequest, int, Task>? Handler { get; set; }

    /// <summary>Set when a request's connection was aborted by the caller while the handler ran.</summary>
    public TaskCompletionSource RequestAborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<FakeUpstream> StartAsync(bool record = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(options => options.Limits.MaxRequestBodySize = null);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        FakeUpstream? upstream = null;
        app.Run(context => upstream!.HandleAsync(context, record));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        upstream = new FakeUpstream(app, address);
        return upstream;
    }

    public async ValueTask DisposeAsync()
    {
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(stopping.Token);
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context, bool record)
    {
        var number = Interlocked.Increment(ref _requestCount);
        var recorded = await RecordedRequest.ReadAsync(context.Request);
        if (record)
        {
            Requests.Enqueue(recorded);
        }

        using var registration = context.RequestAborted.Register(() => RequestAborted.TrySetResult());
        try
        {
            await (Handler ?? OpenAiResponses.DefaultAsync)(context, recorded, number);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            RequestAborted.TrySetResult();
        }
        catch (IOException) when (context.RequestAborted.IsCancellationRequested)
        {
            RequestAborted.TrySetResult();
        }
    }
}
