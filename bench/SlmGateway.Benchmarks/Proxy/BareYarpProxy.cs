using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace SlmGateway.Benchmarks.Proxy;

/// <summary>The baseline: YARP's direct forwarder with nothing else in the pipeline.</summary>
internal static class BareYarpProxy
{
    public static async Task<int> RunAsync(string[] args)
    {
        var (url, upstream) = (args[0], args[1]);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        builder.Services.AddHttpForwarder();
        var app = builder.Build();
        app.MapGet("/healthz", () => "ok");
        app.MapForwarder("/{**catch-all}", upstream);
        await app.RunAsync();
        return 0;
    }
}
