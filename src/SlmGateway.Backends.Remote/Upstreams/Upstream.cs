using System.Collections.Concurrent;
using Polly;
using Polly.CircuitBreaker;
using SlmGateway.Backends.Remote.Forwarding;
using SlmGateway.Backends.Remote.Resilience;
using SlmGateway.Core.Configuration;
using Yarp.ReverseProxy.Forwarder;

namespace SlmGateway.Backends.Remote.Upstreams;

/// <summary>One configured provider, ready to forward to: its connection pool, key, headers and pipeline.</summary>
internal sealed class Upstream : IDisposable
{
    private readonly ConcurrentDictionary<string, Uri> _addresses = new(StringComparer.Ordinal);

    public Upstream(UpstreamOptions options, string? apiKey)
    {
        Options = options;
        Name = options.Name;
        BaseUrl = options.BaseUrl.TrimEnd('/');
        Authorization = apiKey is null ? null : "Bearer " + apiKey;
        Secrets = new SecretMask(options.Headers.Values.Prepend(apiKey));
        Invoker = new HttpMessageInvoker(new BufferedBodyHandler(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = options.Timeouts.Connect,
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ActivityHeadersPropagator = null,
        }));
        RequestConfig = new ForwarderRequestConfig { ActivityTimeout = options.Timeouts.Idle };
        Pipeline = UpstreamPipelineFactory.Create(options, BreakerState);
    }

    public string Name { get; }

    public string BaseUrl { get; }

    /// <summary>The upstream URL of one of the gateway's paths (<c>/chat/completions</c>, say), made once.</summary>
    public Uri AddressOf(string pathSuffix) =>
        _addresses.GetOrAdd(pathSuffix, static (suffix, baseUrl) => new Uri(baseUrl + suffix, UriKind.Absolute), BaseUrl);

    public UpstreamOptions Options { get; }

    /// <summary>The <c>Authorization</c> value sent upstream; never logged or returned.</summary>
    public string? Authorization { get; }

    /// <summary>The key and configured header values, masked in whatever the upstream sends back.</summary>
    public SecretMask Secrets { get; }

    public HttpMessageInvoker Invoker { get; }

    public ForwarderRequestConfig RequestConfig { get; }

    public CircuitBreakerStateProvider BreakerState { get; } = new();

    public ResiliencePipeline<AttemptResult> Pipeline { get; }

    public void Dispose() => Invoker.Dispose();
}
